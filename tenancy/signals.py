"""Signals other apps listen to; tenancy imports none of them (imports flow one way)."""

from django.dispatch import Signal

# Sent by `site_delete` before the site's rows go, outside any transaction, with `site`: work that
# writes rows of the site (an automation run) stops first, so the deletion does not race it.
site_deleting = Signal()
