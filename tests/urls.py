"""The project's URLs plus views that fail, to test the error envelopes of a bug and of a deadlock."""

import psycopg.errors
from django.db import OperationalError
from django.urls import path
from rest_framework.views import APIView

from igny8.urls import handler404, handler500  # noqa: F401
from igny8.urls import urlpatterns as project_urlpatterns


class ExplodingView(APIView):
    def get(self, request):
        raise RuntimeError("secret internal detail")


class DeadlockedView(APIView):
    def get(self, request):
        # How Django hands on PostgreSQL's abort of the transaction that broke a deadlock.
        raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected("deadlock detected")


urlpatterns = [
    path("api/v1/test/explode/", ExplodingView.as_view()),
    path("api/v1/test/deadlocked/", DeadlockedView.as_view()),
    *project_urlpatterns,
]
