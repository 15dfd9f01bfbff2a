from rest_framework.routers import SimpleRouter

from planner import views

router = SimpleRouter()
router.register("keywords", views.KeywordViewSet, basename="keyword")
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("ideas", views.ContentIdeaViewSet, basename="idea")

urlpatterns = router.urls
