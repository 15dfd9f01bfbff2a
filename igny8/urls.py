import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from ai import urls as ai_urls
from igny8.docs import SchemaView, SwaggerView
from publishing import urls as publishing_urls

handler400 = "igny8.api.handler400"
handler404 = "igny8.api.handler404"
handler500 = "igny8.api.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/auth/", include("tenancy.urls")),
    path("api/v1/billing/", include("billing.urls")),
    path("api/v1/planner/", include(ai_urls.planner_actions)),
    path("api/v1/planner/", include(publishing_urls.planner_actions)),
    path("api/v1/planner/", include("planner.urls")),
    path("api/v1/writer/", include(ai_urls.writer_actions)),
    path("api/v1/writer/", include(publishing_urls.writer_actions)),
    path("api/v1/writer/", include("writer.urls")),
    path("api/v1/ai/", include("ai.urls")),
    path("api/v1/automation/", include(publishing_urls.automation_actions)),
    path("api/v1/automation/", include("automation.urls")),
    path("api/v1/publishing/", include(publishing_urls.urlpatterns)),
    path("api/v1/events/", include("events.urls")),
    path("", include("dashboard.urls")),
]
urlpatterns += [path("", include("operations.urls"))]
if settings.SERVE_MEDIA:
    # static() serves nothing unless DEBUG; a single-host install without a proxy sets SERVE_MEDIA=1.
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
