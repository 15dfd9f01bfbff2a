"""`POST destinations/{id}/verify/`: reach the destination and say exactly what is wrong, if anything."""

from dataclasses import asdict, dataclass, field

from igny8.encryption import SecretUnreadable, decrypt_secret
from igny8.outbound import OutboundClient, OutboundFailed, UrlNotAllowed
from publishing.models import Destination, DestinationKind, PostStatus
from publishing.remote import RemoteError
from publishing.services import destination_record_health
from publishing.webhook import ping
from publishing.wordpress import WordPressClient

WRONG_PASSWORD_CODES = {"incorrect_password", "invalid_username", "invalid_email", "rest_not_logged_in"}


@dataclass
class Verification:
    ok: bool
    code: str
    message: str
    user: dict | None = None
    capabilities: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def verify_destination(*, destination: Destination) -> Verification:
    """Check the destination and record its health (`ok`, or `broken` with the reason)."""
    try:
        secret = decrypt_secret(destination.secret_encrypted)
    except SecretUnreadable:
        result = Verification(
            False, "secret_unreadable", "The stored secret cannot be decrypted; enter it again."
        )
    else:
        with OutboundClient() as http:
            if destination.kind == DestinationKind.WORDPRESS:
                result = verify_wordpress(destination, secret, http)
            else:
                result = verify_webhook(destination, secret, http)
    destination_record_health(destination_id=destination.pk, ok=result.ok, error=result.message)
    destination.refresh_from_db()
    return result


def verify_webhook(destination: Destination, secret: str, http: OutboundClient) -> Verification:
    try:
        ping(http, url=destination.url, secret=secret, envelope={"site": destination.site_id})
    except RemoteError as error:
        code = {"auth": "wrong_secret", "retry": "unreachable"}.get(error.kind, "refused")
        return Verification(False, code, error.message)
    return Verification(True, "ok", "The receiver accepted a signed ping.")


def rest_index_problem(destination: Destination, http: OutboundClient) -> Verification | None:
    """Is there a WordPress with its REST API at the URL? None when there is."""
    try:
        response = http.request("GET", destination.url + "/", params={"rest_route": "/"})
    except UrlNotAllowed as error:
        return Verification(False, "bad_url", error.message)
    except OutboundFailed as error:
        return Verification(False, "bad_url", f"Nothing answers at {destination.url}: {error.message}")
    try:
        index = response.json()
    except ValueError:
        index = None
    if isinstance(index, dict) and "wp/v2" in index.get("namespaces", []):
        return None
    text = response.content[:200_000].decode("utf-8", "replace")
    looks_like_wordpress = (
        "wp-content" in text or "wp-includes" in text or "api.w.org" in str(response.headers)
    )
    if looks_like_wordpress or (isinstance(index, dict) and str(index.get("code", "")).startswith("rest_")):
        return Verification(
            False,
            "rest_disabled",
            "This is a WordPress site, but its REST API does not answer (a plugin or the server blocks it).",
        )
    return Verification(False, "not_wordpress", f"{destination.url} does not look like a WordPress site.")


def verify_wordpress(destination: Destination, secret: str, http: OutboundClient) -> Verification:
    problem = rest_index_problem(destination, http)
    if problem:
        return problem
    client = WordPressClient(url=destination.url, username=destination.username, password=secret, client=http)
    try:
        me = client.call("GET", "/wp/v2/users/me", params={"context": "edit"})
    except RemoteError as error:
        if error.kind == "auth" or error.code in WRONG_PASSWORD_CODES:
            return Verification(
                False, "wrong_password", f"WordPress refused the credentials: {error.message}"
            )
        return Verification(False, "unreachable", error.message)
    granted = sorted(name for name, allowed in (me.get("capabilities") or {}).items() if allowed)
    needed = ["edit_posts", "upload_files"]
    if destination.post_status in (PostStatus.PUBLISH, PostStatus.FUTURE):
        needed.append("publish_posts")
    missing = [name for name in needed if name not in granted]
    user = {"id": me.get("id"), "name": me.get("name"), "roles": me.get("roles", [])}
    if missing:
        message = f"The user {destination.username} lacks {', '.join(missing)} (roles: {user['roles']})."
        return Verification(False, "missing_capability", message, user, granted)
    warnings = []
    if "manage_categories" not in granted:
        warnings.append("The user cannot create categories or tags: only existing ones will be set.")
    return Verification(
        True, "ok", "Connected: the user can create posts and upload media.", user, granted, warnings
    )
