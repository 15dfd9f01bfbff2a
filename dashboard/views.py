"""The dashboard's pages: thin HTML faces over the REST API and the automation selectors (session auth).

Live data (the pipeline, the keyword list, the review queue, the config form) is read and changed by
the page's script through the public API; the history and a run's results are rendered here.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from automation import selectors as automation_selectors
from dashboard.presenters import (
    BULK_LABELS,
    article_links,
    config_fields,
    nav_links,
    run_row,
    sanitized_article_html,
    site_columns,
    stage_results,
)
from igny8.errors import NotFound
from publishing.overview import ORDERINGS, sites_overview
from publishing.selectors import destination_for_site
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
        "destination": destination_for_site(site=site),
        "heartbeat_seconds": settings.AUTOMATION_HEARTBEAT_SECONDS,
        "stale_seconds": settings.AUTOMATION_STALE_SECONDS,
    }


def dashboard_page(name: str):
    """A page behind the login, with the header's context; `build` adds to it and names the template."""

    def decorate(build):
        @login_required
        @ensure_csrf_cookie
        @wraps(build)
        def view(request, **kwargs):
            context = workspace(request, name)
            if context is None:
                return render(request, "dashboard/no_site.html", status=404)
            return render(request, build(request, context, **kwargs), context)

        return view

    return decorate


@dashboard_page("sites")
def sites(request, context):
    """Every site of the account on one page; filters and sorting are query parameters."""
    ordering = request.GET.get("ordering", "name")
    if ordering.lstrip("-") not in ORDERINGS:
        ordering = "name"
    search = request.GET.get("search", "")[:100]
    attention = request.GET.get("needs_attention") == "true"
    context.update(
        rows=sites_overview(
            account=context["account"],
            sites=sites_for_user(user=request.user).filter(account=context["account"]),
            ordering=ordering,
            attention_only=attention,
            search=search or None,
        ),
        columns=site_columns(ordering=ordering, search=search, needs_attention=attention),
        filters={"ordering": ordering, "search": search, "needs_attention": attention},
        bulk_actions=BULK_LABELS,
    )
    return "dashboard/sites.html"


# Live data on these pages is read and changed by their script through the API.
@dashboard_page("pipeline")
def pipeline(request, context):
    return "dashboard/pipeline.html"


@dashboard_page("keywords")
def keywords(request, context):
    return "dashboard/keywords.html"


@dashboard_page("review")
def review(request, context):
    return "dashboard/review.html"


@dashboard_page("publishing")
def publishing(request, context):
    return "dashboard/publishing.html"


@dashboard_page("knowledge")
def knowledge(request, context):
    """The inventory, the knowledge settings, the brand voice and the held-back ideas, through the API."""
    return "dashboard/knowledge.html"


@dashboard_page("settings")
def automation_settings(request, context):
    context["fields"] = config_fields()
    return "dashboard/settings.html"


@dashboard_page("runs")
def runs(request, context):
    paginator = Paginator(automation_selectors.runs_for_site(site=context["site"]), RUNS_PER_PAGE)
    runs_page = paginator.get_page(request.GET.get("page"))
    context.update(runs_page=runs_page, rows=[run_row(run) for run in runs_page])
    return "dashboard/runs.html"


@dashboard_page("runs")
def run_detail(request, context, run_id: str):
    try:
        run = automation_selectors.run_get_for_site_ids(run_id=run_id, site_ids=[context["site"].pk])
    except NotFound:
        raise Http404("No such run.") from None
    context.update(
        site_picker_action=reverse("dashboard-runs"),
        run=run,
        row=run_row(run),
        stages=stage_results(run),
        breakdown=automation_selectors.credit_breakdown(run=run),
    )
    return "dashboard/run.html"


@dashboard_page("review")
def article(request, context, content_id: int):
    content = Content.objects.filter(pk=content_id, site=context["site"]).prefetch_related("images").first()
    if content is None:
        raise Http404("No such article.")
    context.update(
        site_picker_action=reverse("dashboard-review"),
        content=content,
        article_html=sanitized_article_html(content.content_html),
        links=article_links(content.links),
    )
    return "dashboard/article.html"


@login_required
def image_file(request, image_id: int):
    """A generated image, to the users of its site only (media is not public)."""
    image = Image.objects.filter(pk=image_id, site__in=sites_for_user(user=request.user)).first()
    if image is None or not image.image_path or not default_storage.exists(image.image_path):
        raise Http404("No such image.")
    return FileResponse(default_storage.open(image.image_path, "rb"))
