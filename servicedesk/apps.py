from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = "Service desk kernel"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .pg_loaders import use_c_loader

        connection_created.connect(use_c_loader, dispatch_uid="servicedesk.pg_loaders")
