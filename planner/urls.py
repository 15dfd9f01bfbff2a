from django.urls import path
from rest_framework.routers import SimpleRouter

from planner import views

router = SimpleRouter()
router.register("keywords", views.KeywordViewSet, basename="keyword")
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("ideas", views.ContentIdeaViewSet, basename="idea")

urlpatterns = [path("voice/", views.BrandVoiceView.as_view(), name="voice"), *router.urls]
