from django.apps import AppConfig


class BypassConfig(AppConfig):
    name = "bypass"

    def ready(self) -> None:
        from servicedesk.transitions import set_gatekeeper

        from . import engine, gates

        set_gatekeeper(engine.gatekeeper)

        # Meta gates: named so a refusal can be explained, never bypassable.
        for gate_id, title in (
            ("bypass.process", "The bypass process itself"),
            ("bypass.ledger", "Ledger writes"),
            ("bypass.sod", "Separation of duties"),
            ("bypass.obligations.open", "Open bypass obligations (deferred or added steps)"),
        ):
            gates.register(gates.Gate(gate_id, "bypass", title, title, bypassable=False))
