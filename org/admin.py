from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from . import services
from .models import (
    ApiToken,
    BusinessCalendar,
    BusinessService,
    Department,
    Holiday,
    Team,
    TeamMembership,
    User,
    WorkingHours,
)


class RevokingPasswordChangeForm(AdminPasswordChangeForm):
    """An admin setting someone's password also revokes that person's tokens and sessions."""

    def save(self, commit: bool = True) -> Any:
        password = self.cleaned_data.get("password1")
        if not commit:
            return super().save(commit=False)
        if password and self.cleaned_data.get("set_usable_password", True):
            services.user_password_set(user=self.user, password=password)
        else:  # "usable password: no" in Django's form
            self.user.set_unusable_password()
            self.user.save(update_fields=["password"])
            services.user_credentials_revoke(user=self.user)
        return self.user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = RevokingPasswordChangeForm
    list_display = ["username", "display_name", "email", "department", "seniority_band", "is_vip"]
    list_filter = ["seniority_band", "is_vip", "department", "is_staff", "is_superuser"]
    list_select_related = ["department"]
    search_fields = ["username", "display_name", "email"]
    autocomplete_fields = ["manager", "department"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (
            "Organisation",
            {
                "fields": (
                    "display_name",
                    "department",
                    "job_title",
                    "seniority_band",
                    "is_vip",
                    "manager",
                    "time_zone",
                )
            },
        ),
        (
            "Presence (routing rules assign nothing new while away)",
            {"fields": ("is_away", "away_until")},
        ),
    )

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        if deactivated:
            obj.is_active = True  # the service records the change and revokes the credentials
        super().save_model(request, obj, form, change)
        if deactivated:
            services.user_deactivate(user=obj)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "head"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    autocomplete_fields = ["head"]


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead", "calendar", "is_active"]
    list_select_related = ["lead", "calendar"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["lead"]
    inlines = [TeamMembershipInline]


@admin.register(BusinessService)
class BusinessServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_team", "tier", "calendar", "is_active"]
    list_filter = ["tier", "is_active"]
    list_select_related = ["owner_team", "calendar"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default"]
    search_fields = ["name"]
    inlines = [WorkingHoursInline, HolidayInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be inspected and revoked (deleted) here, never created: only the owner can."""

    list_display = ["name", "token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["name", "token_key", "user__username"]
    readonly_fields = ["digest", "token_key", "user", "created", "expiry", "name", "last_used_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
