from django.urls import path

from . import views, views_after

app_name = "bypass"

urlpatterns = [
    path("bypass/", views.request_list, name="list"),
    path("bypass/inbox/", views.inbox, name="inbox"),
    path("bypass/new/", views.request_new, name="new"),
    path("bypass/break-glass/", views_after.break_glass, name="break-glass"),
    path("bypass/standard/", views_after.standard, name="standard"),
    path("bypass/standard/<int:pk>/review/", views_after.standard_review, name="standard-review"),
    path("bypass/suspensions/<int:pk>/restore/", views_after.restore, name="restore"),
    path("bypass/<int:pk>/review/", views_after.review, name="review"),
    path("bypass/<int:pk>/", views.request_detail, name="detail"),
    path("bypass/obligations/<int:pk>/done/", views.obligation_done, name="obligation-done"),
    path("bypass/<int:pk>/<str:action>/", views.request_act, name="act"),
]
