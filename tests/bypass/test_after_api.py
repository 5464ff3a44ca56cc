"""API of break-glass, ratification, repudiation and restore, the review after use, and the
standard bypasses: texts, permission matrix and query counts."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt

from bypass import services
from bypass.choices import State
from bypass.models import BypassEvent
from changes import services as change_services
from changes.choices import ChangeStatus
from org.models import User
from servicedesk import clock

from .conftest import FREEZE, PASSWORD, declare

pytestmark = pytest.mark.django_db
URL = "/api/v1/bypass-requests/"
CLOSURE = "incident.closure.customer_confirmation"


def fresh(user: Any) -> Any:
    return User.objects.get(pk=user.pk) if user is not None else None


def glass_body(w: dict[str, Any], **kw: Any) -> dict[str, Any]:
    data = {
        "gate": FREEZE,
        "subject_type": "changes.change",
        "subject_id": w["change"].pk,
        "incident_id": w["incident"].pk,
        "password": PASSWORD,
        "justification": "Payroll is down; the fix must go in during the freeze.",
    }
    data.update(kw)
    return data


def test_break_glass_ratify_and_review_through_the_api(api, world):
    client = api(fresh(world["oncall"]))
    wrong = client.post(URL + "break-glass/", glass_body(world, password="nope"), format="json")
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "bypass.break_glass.step_up"
    assert wrong.json()["message"] == (
        "Your password did not match. Break-glass needs you to confirm who you are; "
        "nothing was declared."
    )
    assert AccessAttempt.objects.filter(username="oncall").get().failures_since_start == 1
    made = client.post(URL + "break-glass/", glass_body(world), format="json")
    assert made.status_code == 201, made.json()
    data = made.json()
    assert data["state"] == State.BREAK_GLASS and data["kind"] == "break_glass"
    assert data["incident_ref"] == world["incident"].ref and data["ratification"] == ""
    change_services.change_schedule(change=world["change"], actor=world["oncall"])
    world["change"].refresh_from_db()
    assert world["change"].status == ChangeStatus.SCHEDULED
    ref = data["ref"]
    assert client.post(URL + f"{ref}/ratify/", {}, format="json").status_code == 403
    ratified = api(fresh(world["managers"][0])).post(
        URL + f"{ref}/ratify/", {"comment": "Right call."}, format="json"
    )
    assert ratified.status_code == 200 and ratified.json()["ratification"] == "ratified"
    assert ratified.json()["state"] == State.BREAK_GLASS  # early: the grant runs on
    early = client.post(URL + f"{ref}/review/", {"outcome": "worked", "misfit": "x"}, format="json")
    assert early.status_code == 409
    assert early.json()["message"] == (
        f"{ref} is break-glass in effect; only a used bypass that has ended is reviewed."
    )
    with time_machine.travel(clock.now() + timedelta(hours=5), tick=False):
        services.bypass_sweep()
    bad = client.post(URL + f"{ref}/review/", {"outcome": "great", "misfit": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["message"] == "Say how it turned out."
    reviewed = client.post(
        URL + f"{ref}/review/",
        {
            "outcome": "worked",
            "misfit": "The freeze has no path for an outage fix.",
            "proposal": "An on-call exception path in freezes.",
            "links": [world["incident"].ref],
        },
        format="json",
    )
    assert reviewed.status_code == 200, reviewed.json()
    out = reviewed.json()
    assert out["state"] == State.CLOSED
    assert out["review"]["outcome"] == "worked" and out["review"]["links"] == [
        world["incident"].ref
    ]


def test_not_eligible_is_403_with_the_reason(api, world):
    response = api(fresh(world["requester"])).post(
        URL + "break-glass/", glass_body(world), format="json"
    )
    assert response.status_code == 403
    assert response.json()["message"] == (
        "Break-glass on “Freeze windows” is for the On-call engineers group; you are not in it. "
        "Request a bypass instead."
    )
    assert not BypassEvent.objects.filter(type="bypass.break_glass_started").exists()


def test_repudiate_and_restore_through_the_api(api, world):
    req = declare(world)
    ref = req.ref
    for person in (world["managers"][0], world["cab"][0]):
        r = api(fresh(person)).post(
            URL + f"{ref}/repudiate/", {"comment": "There was time to ask."}, format="json"
        )
        assert r.status_code == 200
    assert r.json()["ratification"] == "repudiated" and r.json()["state"] == State.UNDER_REVIEW
    note = {"note": "Discussed; the right is back."}
    denied = api(fresh(world["managers"][0])).post(URL + f"{ref}/restore/", note, format="json")
    assert denied.status_code == 403
    assert denied.json()["message"] == "Only a process owner may restore a break-glass right."
    ok = api(fresh(world["owner"])).post(URL + f"{ref}/restore/", note, format="json")
    assert ok.status_code == 200
    again = api(fresh(world["owner"])).post(URL + f"{ref}/restore/", note, format="json")
    assert again.status_code == 409
    assert again.json()["message"] == (
        f"{ref} suspended no break-glass right that is still suspended."
    )


STANDARD = {
    "title": "Kiosk outages: the desk confirms closure",
    "gate_id": CLOSURE,
    "treatment": "skip",
    "reason_category": "service_restoration",
    "service_tier": 3,
    "subject_type": "incidents.incident",
}


@pytest.mark.parametrize(
    ("who", "list_code", "create_code"),
    [
        ("anonymous", 401, 401),
        ("requester", 200, 403),
        ("analyst", 200, 403),
        ("manager", 200, 403),
        ("admin_user", 200, 201),
    ],
)
def test_standard_bypass_permission_matrix(request, api, who, list_code, create_code):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = api(fresh(user))
    assert client.get("/api/v1/standard-bypasses/").status_code == list_code
    r = client.post("/api/v1/standard-bypasses/", STANDARD, format="json")
    assert r.status_code == create_code
    if create_code == 403:
        assert r.json()["message"] == "Only a process owner may manage standard bypasses."
    if create_code == 201:
        pk = r.json()["id"]
        review = client.post(
            f"/api/v1/standard-bypasses/{pk}/review/",
            {"keep": False, "note": "Not needed."},
            format="json",
        )
        assert review.status_code == 200 and review.json()["is_active"] is False


@pytest.mark.parametrize("rows", [1, 6])
def test_standard_bypass_list_query_count(api, admin_user, rows, django_assert_num_queries):
    client = api(fresh(admin_user))
    for i in range(rows):
        assert (
            client.post(
                "/api/v1/standard-bypasses/", {**STANDARD, "title": f"Rule {i}"}, format="json"
            ).status_code
            == 201
        )
    client = api(fresh(admin_user))
    with django_assert_num_queries(2):  # count, page (owners joined)
        response = client.get("/api/v1/standard-bypasses/")
    assert response.json()["count"] == rows


def test_step_up_pauses_after_too_many_wrong_passwords(api, world, settings):
    client = api(fresh(world["oncall"]))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        r = client.post(URL + "break-glass/", glass_body(world, password="nope"), format="json")
        assert r.json()["code"] == "bypass.break_glass.step_up"
    last = client.post(URL + "break-glass/", glass_body(world, password="nope"), format="json")
    locked = client.post(URL + "break-glass/", glass_body(world), format="json")
    for response in (last, locked):  # the attempt that locks, and a right password after it
        assert response.status_code == 403
        assert response.json()["code"] == "bypass.break_glass.locked"
        assert response.json()["message"] == (
            "Too many wrong passwords: confirming who you are is paused for 15 minutes, as "
            "sign-in is. Ask a colleague on call, or request a bypass."
        )
    assert not BypassEvent.objects.filter(type="bypass.break_glass_started").exists()
