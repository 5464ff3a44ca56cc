from django.apps import AppConfig


class BypassConfig(AppConfig):
    name = "bypass"
