"""The dashboard's pages: thin HTML faces over the REST API and the automation selectors (session auth).

Live data (the pipeline, the keyword list, the review queue, the config form) is read and changed by
the page's script through the public API; the history and a run's results are rendered here.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from automation import selectors as automation_selectors
from automation.services import run_get_for_site_ids
from automation.stages import STAGES
from dashboard.presenters import config_fields, nav_links, run_row, sanitized_article_html, stage_results
from igny8.errors import NotFound
from tenancy.models import Account, Role
from tenancy.selectors import sites_for_user
from writer.models import Content, Image

RUNS_PER_PAGE = 20
SESSION_SITE = "dashboard_site_id"


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "login")


def workspace(request, page: str) -> dict | None:
    """The header's context: the chosen site (remembered in the session), the account and the role."""
    user = request.user
    sites = list(sites_for_user(user=user).order_by("id"))
    asked = request.GET.get("site_id")
    wanted = asked or request.session.get(SESSION_SITE)
    site = next((s for s in sites if str(s.pk) == str(wanted)), None)
    if site is None and asked:
        # Another account's site answers exactly like a missing one.
        raise Http404("No such site.")
    site = site or (sites[0] if sites else None)
    if site is None:
        return None
    request.session[SESSION_SITE] = site.pk
    account = Account.objects.get(pk=site.account_id)
    rank = 99 if user.is_privileged else Role.rank(user.role)
    return {
        "page": page,
        "site": site,
        "sites": sites,
        "account": account,
        "role": "staff" if user.is_privileged else user.role,
        "can_run": rank >= Role.rank(Role.EDITOR),
        "can_configure": rank >= Role.rank(Role.ADMIN),
        "nav": nav_links(page),
        "heartbeat_seconds": settings.AUTOMATION_HEARTBEAT_SECONDS,
        "stale_seconds": settings.AUTOMATION_STALE_SECONDS,
    }


def page(template: str, name: str):
    """A page that needs only the header's context; its script does the rest through the API."""

    @login_required
    @ensure_csrf_cookie
    def view(request):
        context = workspace(request, name)
        if context is None:
            return render(request, "dashboard/no_site.html", status=404)
        return render(request, template, context)

    view.__name__ = name
    return view


pipeline = page("dashboard/pipeline.html", "pipeline")
keywords = page("dashboard/keywords.html", "keywords")
review = page("dashboard/review.html", "review")


@login_required
@ensure_csrf_cookie
def automation_settings(request):
    context = workspace(request, "settings")
    if context is None:
        return render(request, "dashboard/no_site.html", status=404)
    context["fields"] = config_fields()
    return render(request, "dashboard/settings.html", context)


@login_required
@ensure_csrf_cookie
def runs(request):
    context = workspace(request, "runs")
    if context is None:
        return render(request, "dashboard/no_site.html", status=404)
    paginator = Paginator(automation_selectors.runs_for_site(site=context["site"]), RUNS_PER_PAGE)
    runs_page = paginator.get_page(request.GET.get("page"))
    context.update(runs_page=runs_page, rows=[run_row(run) for run in runs_page])
    return render(request, "dashboard/runs.html", context)


@login_required
@ensure_csrf_cookie
def run_detail(request, run_id: str):
    context = workspace(request, "runs")
    if context is None:
        return render(request, "dashboard/no_site.html", status=404)
    try:
        run = run_get_for_site_ids(run_id=run_id, site_ids=[context["site"].pk])
    except NotFound:
        raise Http404("No such run.") from None
    context.update(
        site_picker_action=reverse("dashboard-runs"),
        run=run,
        row=run_row(run),
        stages=stage_results(run),
        breakdown=automation_selectors.credit_breakdown(run=run),
        stage_names={stage.number: stage.name for stage in STAGES},
    )
    return render(request, "dashboard/run.html", context)


@login_required
@ensure_csrf_cookie
def article(request, content_id: int):
    context = workspace(request, "review")
    if context is None:
        return render(request, "dashboard/no_site.html", status=404)
    content = Content.objects.filter(pk=content_id, site=context["site"]).prefetch_related("images").first()
    if content is None:
        raise Http404("No such article.")
    context.update(
        site_picker_action=reverse("dashboard-review"),
        content=content,
        article_html=sanitized_article_html(content.content_html),
    )
    return render(request, "dashboard/article.html", context)


@login_required
def image_file(request, image_id: int):
    """A generated image, to the users of its site only (media is not public)."""
    image = Image.objects.filter(pk=image_id, site__in=sites_for_user(user=request.user)).first()
    if image is None or not image.image_path or not default_storage.exists(image.image_path):
        raise Http404("No such image.")
    return FileResponse(default_storage.open(image.image_path, "rb"))
