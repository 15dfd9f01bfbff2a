from django.urls import path
from rest_framework.routers import SimpleRouter

from planner import views

router = SimpleRouter()
router.register("keywords", views.KeywordViewSet, basename="keyword")
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("ideas", views.ContentIdeaViewSet, basename="idea")
router.register("inventory", views.SitePageViewSet, basename="inventory")

urlpatterns = [
    path("knowledge/", views.SiteKnowledgeView.as_view(), name="site-knowledge"),
    path("voice/", views.BrandVoiceView.as_view(), name="voice"),
    *router.urls,
]
