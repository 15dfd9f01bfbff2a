from django.urls import path
from rest_framework.routers import SimpleRouter

from automation.operator_views import BulkView, FailuresView, RetryView
from automation.views import AutomationViewSet

router = SimpleRouter()
router.register("", AutomationViewSet, basename="automation")

urlpatterns = [
    path("failures/", FailuresView.as_view(), name="automation-failures"),
    path("retry/", RetryView.as_view(), name="automation-retry"),
    path("bulk/", BulkView.as_view(), name="automation-bulk"),
    *router.urls,
]
