from django.urls import path
from rest_framework.routers import SimpleRouter

from tenancy import views

router = SimpleRouter()
router.register("sites", views.SiteViewSet, basename="site")
router.register("users", views.AccountUserViewSet, basename="account-user")

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("me/", views.MeView.as_view(), name="me"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    *router.urls,
]
