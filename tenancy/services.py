from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from igny8.db import is_deadlock
from igny8.errors import ValidationFailed
from tenancy.errors import InvalidToken, LastOwner, RoleNotAllowed
from tenancy.models import Account, Role, Site, User
from tenancy.signals import site_deleting

PRIVILEGED_ROLES = (Role.OWNER, Role.ADMIN)


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(email).lower()


def _password_check(password: str, *, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as error:
        raise ValidationFailed(error.messages[0], errors={"password": error.messages}) from None


def _email_check_free(email: str) -> None:
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(
            "A user with this email already exists.", errors={"email": ["Already registered."]}
        )


@transaction.atomic
def account_register(*, email: str, password: str, account_name: str) -> tuple[User, Account]:
    """Create an account and its owner together; ValidationFailed for a taken email or a weak password."""
    email = normalize_email(email)
    _email_check_free(email)
    _password_check(password)
    account = Account.objects.create(name=account_name)
    user = User.objects.create_user(email, password, account=account, role=Role.OWNER)
    return user, account


def site_create(*, account: Account, name: str, domain: str = "", is_active: bool = True) -> Site:
    try:
        with transaction.atomic():
            return Site.objects.create(account=account, name=name, domain=domain, is_active=is_active)
    except IntegrityError:
        raise ValidationFailed(
            "This account already has a site with that name.", errors={"name": ["Already used."]}
        ) from None


def site_update(*, site: Site, **fields) -> Site:
    for field, value in fields.items():
        setattr(site, field, value)
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError:
        raise ValidationFailed(
            "This account already has a site with that name.", errors={"name": ["Already used."]}
        ) from None
    return site


SITE_DELETE_ATTEMPTS = 3


def site_delete(*, site: Site) -> None:
    """Delete a site and everything it owns. `site_deleting` goes out first, so automation stops the
    site's run (committed) before the rows are collected. Work still stopping can meet the deletion
    two ways, and either way the deletion is simply tried again: a row it added between collection and
    deletion fails the foreign keys, or its commit in flight locks rows in another order than the
    deletion (an item's rows, then its log) and PostgreSQL breaks the deadlock by aborting one side.
    """
    site_deleting.send(sender=Site, site=site)
    site_id = site.pk
    for attempt in range(1, SITE_DELETE_ATTEMPTS + 1):
        site.pk = site_id  # delete() sets it to None before the commit, which may still fail
        try:
            with transaction.atomic():
                site.delete()
            return
        except (IntegrityError, OperationalError) as error:
            transient = isinstance(error, IntegrityError) or is_deadlock(error)
            if not transient or attempt == SITE_DELETE_ATTEMPTS:
                raise


def user_create(*, account: Account, email: str, password: str, role: str = Role.EDITOR) -> User:
    email = normalize_email(email)
    _email_check_free(email)
    return User.objects.create_user(email, password, account=account, role=role)


def _check_may_manage(*, actor: User, roles: tuple[str, ...]) -> None:
    """Only an owner (or staff) grants, removes or manages the owner and admin roles."""
    if actor.is_privileged or actor.role == Role.OWNER:
        return
    if any(role in PRIVILEGED_ROLES for role in roles):
        raise RoleNotAllowed()


def user_add(*, actor: User, email: str, password: str, role: str) -> User:
    """A new user of the actor's account; ValidationFailed for a taken email or a weak password."""
    _check_may_manage(actor=actor, roles=(role,))
    _password_check(password)
    try:
        with transaction.atomic():
            return user_create(account=actor.account, email=email, password=password, role=role)
    except IntegrityError:
        raise ValidationFailed(
            "A user with this email already exists.", errors={"email": ["Already registered."]}
        ) from None


@transaction.atomic
def user_update(*, actor: User, user: User, role: str | None = None, is_active: bool | None = None) -> User:
    """Change a user's role or active flag; deactivation revokes the user's sessions at once.

    Raises RoleNotAllowed when a non-owner touches the owner or admin role, and LastOwner when
    the change would leave the account without an active owner. The account row is locked first,
    so two owners demoting each other at once are serialised and cannot both succeed.
    """
    Account.objects.select_for_update().filter(pk=user.account_id).first()
    user = User.objects.get(pk=user.pk)
    new_role = role if role is not None else user.role
    new_active = is_active if is_active is not None else user.is_active
    _check_may_manage(actor=actor, roles=(user.role, new_role))
    stays_owner = new_role == Role.OWNER and new_active
    if user.role == Role.OWNER and user.is_active and not stays_owner:
        owners = User.objects.filter(account_id=user.account_id, role=Role.OWNER, is_active=True)
        if not owners.exclude(pk=user.pk).exists():
            raise LastOwner()
    user.role, user.is_active = new_role, new_active
    user.save(update_fields=["role", "is_active"])
    if not new_active:
        user_tokens_revoke(user=user)
    return user


def user_tokens_revoke(*, user: User) -> int:
    """Blacklist every outstanding refresh token of `user`; returns how many were revoked."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)


def token_pair_issue(*, user: User) -> dict:
    """A new refresh token (recorded as outstanding, so it can be revoked) and its access token."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _refresh_token_parse(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError:
        raise InvalidToken() from None


def token_refresh(*, refresh: str) -> str:
    """A new access token for a valid refresh token whose user still exists, is active and has
    not changed password since; InvalidToken otherwise (blacklisted tokens included)."""
    token = _refresh_token_parse(refresh)
    user = User.objects.filter(pk=token.payload.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise InvalidToken()
    if token.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise InvalidToken()
    return str(token.access_token)


def token_revoke(*, user: User, refresh: str) -> None:
    """Log out one session: blacklist `refresh`, which must belong to `user`."""
    token = _refresh_token_parse(refresh)
    if str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidToken()
    token.blacklist()


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> dict:
    """Set a new password, revoke every earlier refresh token of the user and return a fresh pair.

    Raises ValidationFailed for a wrong old password (`wrong_password`) or a weak new one.
    """
    if not user.check_password(old_password):
        raise ValidationFailed(
            "The current password is incorrect.",
            code="wrong_password",
            errors={"old_password": ["Incorrect."]},
        )
    _password_check(new_password, user=user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_tokens_revoke(user=user)
    return token_pair_issue(user=user)
