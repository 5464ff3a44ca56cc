from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import BusinessServiceViewSet, MeView, TeamViewSet, UserViewSet

router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("services", BusinessServiceViewSet, basename="service")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
