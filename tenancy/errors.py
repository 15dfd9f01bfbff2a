from igny8.errors import ApplicationError


class InvalidCredentials(ApplicationError):
    status_code = 401
    code = "invalid_credentials"
    default_message = "Email or password is incorrect."


class InvalidToken(ApplicationError):
    status_code = 401
    code = "token_not_valid"
    default_message = "The refresh token is invalid, expired or revoked."


class RoleNotAllowed(ApplicationError):
    status_code = 403
    code = "permission_denied"
    default_message = "Only an owner can grant or remove the owner or admin role."


class LastOwner(ApplicationError):
    code = "last_owner"
    default_message = "The account's last active owner cannot be demoted or deactivated."
