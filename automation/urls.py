from django.urls import path
from rest_framework.routers import SimpleRouter

from automation.operator_views import BulkView, FailuresView, OverviewView, RetryView
from automation.views import AutomationViewSet

router = SimpleRouter()
router.register("", AutomationViewSet, basename="automation")

urlpatterns = [
    path("failures/", FailuresView.as_view(), name="automation-failures"),
    path("retry/", RetryView.as_view(), name="automation-retry"),
    path("overview/", OverviewView.as_view(), name="automation-overview"),
    path("bulk/", BulkView.as_view(), name="automation-bulk"),
    *router.urls,
]
