"""/api/v1/changes/..., /api/v1/change-templates/..., /api/v1/change-authorities/...,
/api/v1/freeze-windows/..., /api/v1/change-calendar/. URL names are prefixed "api-"."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ChangeAuthorityViewSet,
    ChangeCalendarView,
    ChangeTemplateViewSet,
    ChangeViewSet,
    FreezeWindowViewSet,
)

router = SimpleRouter()
router.register("changes", ChangeViewSet, basename="api-change")
router.register("change-templates", ChangeTemplateViewSet, basename="api-change-template")
router.register("change-authorities", ChangeAuthorityViewSet, basename="api-change-authority")
router.register("freeze-windows", FreezeWindowViewSet, basename="api-freeze-window")

urlpatterns = [
    *router.urls,
    path("change-calendar/", ChangeCalendarView.as_view(), name="api-change-calendar"),
]
