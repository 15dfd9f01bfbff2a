from rest_framework.routers import SimpleRouter

from events import views

router = SimpleRouter()
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = router.urls
