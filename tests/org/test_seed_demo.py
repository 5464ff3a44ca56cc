from io import StringIO
from typing import Any

from django.core.management import call_command

from org.choices import Role, SeniorityBand
from org.models import BusinessCalendar, BusinessService, Team, User


def test_seed_demo_is_idempotent_and_covers_every_role(db: Any) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = [User.objects.count(), Team.objects.count(), BusinessService.objects.count()]
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert [User.objects.count(), Team.objects.count(), BusinessService.objects.count()] == counts
    assert counts[0] >= 12
    roles: set[Role] = set()
    for user in User.objects.all():
        roles |= user.roles
    assert roles == set(Role)
    assert User.objects.filter(seniority_band=SeniorityBand.EXECUTIVE, is_vip=True).exists()
    assert BusinessCalendar.objects.get(name="London office hours").hours.count() == 5
    from incidents.models import Incident, IncidentEvent, Problem

    assert Incident.objects.count() >= 300
    assert Problem.objects.count() == 2
    assert set(Incident.objects.values_list("status", flat=True)) >= {
        "new",
        "assigned",
        "in_progress",
        "resolved",
        "closed",
    }
    created = IncidentEvent.objects.filter(type="incident.created").count()
    assert created == Incident.objects.count()  # every incident has its full timeline
    assert Incident.objects.exclude(workaround="").exists()
    printed = out.getvalue()
    assert "alice" in printed and "demo-pass-2026" in printed
    assert User.objects.get(username="alice").check_password("demo-pass-2026")
    from bypass import ledger
    from bypass.choices import State
    from bypass.models import BypassRequest

    assert BypassRequest.objects.count() >= 24
    transient = {State.SUBMITTED}  # submission routes to review in the same transaction
    assert (
        set(BypassRequest.objects.values_list("state", flat=True)) == set(State.values) - transient
    )
    ceo = BypassRequest.objects.filter(requester__username="ceo")
    assert ceo.exists() and all(r.policy_id for r in ceo if r.state != State.DRAFT)
    assert ledger.verify().ok
