"""The OpenAPI schema and Swagger UI views, public in the embedded default and behind login in production."""

from django.conf import settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny, IsAuthenticated

from igny8.api import EnvelopeRenderer


class DocsAccessMixin:
    """Login required unless API_DOCS_PUBLIC; a refusal is the JSON error envelope, not YAML or HTML."""

    def get_permissions(self):
        return [AllowAny()] if settings.API_DOCS_PUBLIC else [IsAuthenticated()]

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:
            request.accepted_renderer = EnvelopeRenderer()
            request.accepted_media_type = EnvelopeRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(DocsAccessMixin, SpectacularAPIView):
    pass


class SwaggerView(DocsAccessMixin, SpectacularSwaggerView):
    pass
