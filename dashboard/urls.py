from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard import views
from tenancy.views import DashboardLoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", DashboardLoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.pipeline, name="dashboard"),
    path("dashboard/sites/", views.sites, name="dashboard-sites"),
    path("dashboard/runs/", views.runs, name="dashboard-runs"),
    path("dashboard/runs/<str:run_id>/", views.run_detail, name="dashboard-run"),
    path("dashboard/keywords/", views.keywords, name="dashboard-keywords"),
    path("dashboard/review/", views.review, name="dashboard-review"),
    path("dashboard/review/<int:content_id>/", views.article, name="dashboard-article"),
    path("dashboard/images/<int:image_id>/", views.image_file, name="dashboard-image"),
    path("dashboard/publishing/", views.publishing, name="dashboard-publishing"),
    path("dashboard/knowledge/", views.knowledge, name="dashboard-knowledge"),
    path("dashboard/settings/", views.automation_settings, name="dashboard-settings"),
]
