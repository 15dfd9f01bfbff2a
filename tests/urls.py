"""The project's URLs plus one view that fails, to test the 500 envelope."""

from django.urls import path
from rest_framework.views import APIView

from igny8.urls import handler404, handler500  # noqa: F401
from igny8.urls import urlpatterns as project_urlpatterns


class ExplodingView(APIView):
    def get(self, request):
        raise RuntimeError("secret internal detail")


urlpatterns = [path("api/v1/test/explode/", ExplodingView.as_view()), *project_urlpatterns]
