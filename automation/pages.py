"""The dashboard page: a thin HTML face over the automation API (session auth)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from tenancy.selectors import sites_for_user


@login_required
@ensure_csrf_cookie
def dashboard(request):
    sites = list(sites_for_user(user=request.user).order_by("id"))
    site_id = request.GET.get("site_id")
    site = (
        next((s for s in sites if str(s.pk) == site_id), None) if site_id else (sites[0] if sites else None)
    )
    if site is None:
        raise Http404("No such site.")
    return render(request, "automation/dashboard.html", {"site": site, "sites": sites})
