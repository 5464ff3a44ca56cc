from django.contrib import admin
from django.http import HttpRequest

from .models import MetricsSettings, RollupDay


@admin.register(MetricsSettings)
class MetricsSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "min_cases", "repeat_window_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not MetricsSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RollupDay)
class RollupDayAdmin(admin.ModelAdmin):
    """Read-only: the rollups are rebuilt by the sweep or ``manage.py metrics_rollup``."""

    list_display = ["day", "incidents", "rebuilt_at"]
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
