from django.urls import path
from rest_framework.routers import SimpleRouter

from events import views

router = SimpleRouter()
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = [
    path("email_subscription/", views.EmailSubscriptionView.as_view(), name="email-subscription"),
    *router.urls,
]
