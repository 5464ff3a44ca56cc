from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"

    def ready(self) -> None:
        from servicedesk import panels

        from .panels import incident_changes

        panels.register("incident.detail.side", incident_changes)

        from .gates import declare

        declare()
