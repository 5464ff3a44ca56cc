from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ApiTokenViewSet,
    BusinessCalendarViewSet,
    BusinessServiceViewSet,
    MeView,
    TeamViewSet,
    UserViewSet,
)

router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("services", BusinessServiceViewSet, basename="service")
router.register("tokens", ApiTokenViewSet, basename="api-token")
router.register("calendars", BusinessCalendarViewSet, basename="calendar")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
