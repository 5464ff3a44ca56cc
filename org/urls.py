from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/tokens/", views.api_tokens, name="api-tokens"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("people/suggest/", views.people_suggest, name="people-suggest"),
    path("account/tokens/<str:token_key>/revoke/", views.api_token_revoke, name="api-token-revoke"),
]
