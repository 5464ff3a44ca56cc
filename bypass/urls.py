from django.urls import path

from . import views

app_name = "bypass"

urlpatterns = [
    path("bypass/", views.request_list, name="list"),
    path("bypass/inbox/", views.inbox, name="inbox"),
    path("bypass/new/", views.request_new, name="new"),
    path("bypass/<int:pk>/", views.request_detail, name="detail"),
    path("bypass/obligations/<int:pk>/done/", views.obligation_done, name="obligation-done"),
    path("bypass/<int:pk>/<str:action>/", views.request_act, name="act"),
]
