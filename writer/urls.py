from rest_framework.routers import SimpleRouter

from writer import views

router = SimpleRouter()
router.register("tasks", views.TaskViewSet, basename="task")
router.register("content", views.ContentViewSet, basename="content")
router.register("images", views.ImageViewSet, basename="image")

urlpatterns = router.urls
