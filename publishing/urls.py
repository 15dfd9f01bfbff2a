from django.urls import path
from rest_framework.routers import SimpleRouter

from publishing import views

router = SimpleRouter()
router.register("destinations", views.DestinationViewSet, basename="destination")
urlpatterns = router.urls

# Under the writer's path, as the API contract names them (writer cannot import publishing); listed
# before the writer's router so `content/publish/` is not taken for a content id.
writer_actions = [
    path("content/publish/", views.ContentPublishView.as_view(), name="content-publish"),
    path("content/unschedule/", views.ContentUnscheduleView.as_view(), name="content-unschedule"),
]

# Under the planner's path, next to the other inventory imports (planner cannot import publishing).
planner_actions = [
    path(
        "inventory/import_destination/",
        views.InventoryImportDestinationView.as_view(),
        name="inventory-import-destination",
    ),
]

# Under the automation's path, as the API contract names it: the all-sites overview counts a broken
# destination, which automation cannot import.
automation_actions = [
    path("overview/", views.OverviewView.as_view(), name="automation-overview"),
]
