"""Request throttles, counted in the default cache (Redis in production), answered as 429 `throttled`.

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] and are read at request time, so a test
or an operator can change them without reloading the classes.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


def submitted_email(request) -> str:
    """The email a login form or body names, compared case-insensitively like every email here."""
    data = getattr(request, "data", None)
    if data is None:
        data = request.POST
    # The API's body names it `email`; Django's login form, `username`.
    email = (data.get("email") or data.get("username")) if hasattr(data, "get") else None
    return email.strip().lower()[:254] if isinstance(email, str) else ""


class UserRateThrottle(SettingsRateThrottle):
    """The general per-user limit of the API; anonymous endpoints have their own throttles."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.key(str(request.user.pk))


class AuthIPThrottle(SettingsRateThrottle):
    """Every anonymous auth endpoint (login, register, refresh) per client address."""

    scope = "auth_ip"

    def get_cache_key(self, request, view):
        return self.key(self.get_ident(request))


class LoginThrottle(SettingsRateThrottle):
    """Login attempts per client address and email, right or wrong, so guessing a password is slow."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.key(f"{self.get_ident(request)}:{submitted_email(request)}")


class RegisterThrottle(SettingsRateThrottle):
    scope = "register"

    def get_cache_key(self, request, view):
        return self.key(self.get_ident(request))


class PasswordThrottle(SettingsRateThrottle):
    """Password changes per user: a stolen access token must not be a fast oracle for the old password."""

    scope = "password"

    def get_cache_key(self, request, view):
        return self.key(str(request.user.pk))
