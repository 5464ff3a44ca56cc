from django.urls import path

from . import views

app_name = "improvements"

urlpatterns = [
    path("improvements/", views.register, name="list"),
    path("improvements/new/", views.suggest, name="new"),
    path("improvements/owners/", views.owner_view, name="owners"),
    path("improvements/debt/<int:pk>/", views.debt_detail, name="debt"),
    path("improvements/debt/<int:pk>/convert/", views.debt_convert, name="debt-convert"),
    path("improvements/<int:pk>/", views.detail, name="detail"),
    path("improvements/<int:pk>/vote/", views.vote, name="vote"),
    path("improvements/<int:pk>/<str:action>/", views.act, name="act"),
]
