"""The one base of every domain error; the API exception handler turns them into the error envelope."""


class ApplicationError(Exception):
    status_code = 400
    code = "application_error"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    code = "validation_error"
    default_message = "Invalid input."

    def __init__(self, message: str | None = None, *, errors: dict | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.errors = errors or {}


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class InvalidTransition(ApplicationError):
    code = "invalid_transition"
    default_message = "That change is not allowed in the object's current state."


class ServiceUnavailable(ApplicationError):
    status_code = 503
    code = "service_unavailable"
    default_message = "A backing service is unavailable. Try again shortly."


class RequestTooLarge(ApplicationError):
    status_code = 413
    code = "request_too_large"
    default_message = "The request body is too large."
