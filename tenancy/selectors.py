from django.db.models import QuerySet

from igny8.errors import NotFound, ValidationFailed
from tenancy.models import Site, User


def sites_for_user(*, user: User) -> QuerySet[Site]:
    if user.is_privileged:
        return Site.objects.all()
    return Site.objects.filter(account_id=user.account_id)


def parse_id(value, *, field: str) -> int:
    try:
        parsed = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{field} must be an integer.", errors={field: ["Must be an integer."]}
        ) from None
    if parsed < 1:
        raise ValidationFailed(f"{field} must be a positive integer.", errors={field: ["Must be positive."]})
    return parsed


def site_get_for_user(*, user: User, site_id) -> Site:
    """The caller's site; another account's site is answered exactly like a missing one."""
    if site_id in (None, ""):
        raise ValidationFailed(
            "site_id is required.", code="site_id_required", errors={"site_id": ["Required."]}
        )
    site = (
        sites_for_user(user=user)
        .select_related("account")
        .filter(pk=parse_id(site_id, field="site_id"))
        .first()
    )
    if site is None:
        raise NotFound("Site not found.")
    return site
