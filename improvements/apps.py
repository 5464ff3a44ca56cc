from django.apps import AppConfig


class ImprovementsConfig(AppConfig):
    name = "improvements"

    def ready(self) -> None:
        from .receivers import connect

        connect()
