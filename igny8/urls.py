from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ai import urls as ai_urls

handler404 = "igny8.api.handler404"
handler500 = "igny8.api.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/auth/", include("tenancy.urls")),
    path("api/v1/billing/", include("billing.urls")),
    path("api/v1/planner/", include(ai_urls.planner_actions)),
    path("api/v1/planner/", include("planner.urls")),
    path("api/v1/writer/", include(ai_urls.writer_actions)),
    path("api/v1/writer/", include("writer.urls")),
    path("api/v1/ai/", include("ai.urls")),
    path("api/v1/automation/", include("automation.urls")),
    path("", include("dashboard.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
