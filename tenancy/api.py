"""Tenant scoping for views: resolve `site_id` within the caller's account and scope querysets."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter

from tenancy.models import Site
from tenancy.selectors import site_get_for_user

SITE_ID_PARAMETER = OpenApiParameter(
    "site_id", {"type": "integer", "minimum": 1}, OpenApiParameter.QUERY, required=True
)


class SiteScopedMixin:
    """For views over rows that carry `account` and `site`.

    List, retrieve, update and delete all go through `get_queryset`, which is limited to the
    caller's account (all accounts for staff) and to `site_id` when it is given. Lists and
    creates require `site_id`.
    """

    site_required_actions = ("list", "create")

    def get_site(self) -> Site:
        if not hasattr(self, "_site"):
            self._site = site_get_for_user(
                user=self.request.user, site_id=self.request.query_params.get("site_id")
            )
        return self._site

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        user = self.request.user
        if not user.is_privileged:
            queryset = queryset.filter(account_id=user.account_id)
        site_id = self.request.query_params.get("site_id")
        if self.action in self.site_required_actions or site_id not in (None, ""):
            queryset = queryset.filter(site=self.get_site())
        return queryset

    def get_queryset(self):
        return self.scope_queryset(super().get_queryset())
