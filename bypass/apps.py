from django.apps import AppConfig


class BypassConfig(AppConfig):
    name = "bypass"

    def ready(self) -> None:
        from . import gates

        # Meta gates: named so a refusal can be explained, never bypassable.
        for gate_id, title in (
            ("bypass.process", "The bypass process itself"),
            ("bypass.ledger", "Ledger writes"),
            ("bypass.sod", "Separation of duties"),
        ):
            gates.register(gates.Gate(gate_id, "bypass", title, title, bypassable=False))
