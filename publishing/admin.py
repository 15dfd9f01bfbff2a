from django.contrib import admin
from django.db import models

from publishing.models import Destination, Publication


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    """The encrypted secret is left out: it is changed through the API, never shown."""

    list_display = ["id", "site", "kind", "url", "username", "post_status", "status", "verified_at"]
    list_filter = ["kind", "status", "post_status"]
    search_fields = ["url", "username"]
    exclude = ["secret_encrypted"]
    readonly_fields = ["status", "last_error", "verified_at"]
    raw_id_fields = ["account", "site"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["id", "content", "site", "remote_key", "attempts", "claimed_until", "published_at"]
    search_fields = ["remote_key"]
    readonly_fields = ["remote_key", "claim_token", "claimed_until", "destination"]
    raw_id_fields = ["account", "site", "content"]
