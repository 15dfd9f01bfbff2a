from django.urls import path

from billing import views

urlpatterns = [
    path("balance/", views.BalanceView.as_view(), name="balance"),
    path("transactions/", views.TransactionListView.as_view(), name="transactions"),
    path("usage/", views.UsageView.as_view(), name="usage"),
]
