from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import views

api_v1 = [
    path("", include("org.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("changes.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("bypass.api.urls")),
    path("", include("improvements.api.urls")),
    path("", include("metrics.api.urls")),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="schema"), name="api-docs"),
    path("", include("incidents.urls")),
    path("", include("changes.urls")),
    path("", include("org.urls")),
    path("", include("webhooks.urls")),
    path("", include("notifications.urls")),
    path("", include("bypass.urls")),
    path("", include("improvements.urls")),
    path("", include("metrics.urls")),
]

handler400 = "servicedesk.views.error_400"
handler403 = "servicedesk.views.error_403"
handler404 = "servicedesk.views.error_404"
handler500 = "servicedesk.views.error_500"
