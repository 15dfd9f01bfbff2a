from django.urls import path
from rest_framework.routers import SimpleRouter

from tenancy import views

router = SimpleRouter()
router.register("sites", views.SiteViewSet, basename="site")

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
