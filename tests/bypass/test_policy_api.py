"""/api/v1/bypass-policies/: process owners save a new version (through
``bypass_policy_save``: the old one kept inactive, the change in the ledger); others may not."""

import json

import pytest

from bypass.models import BypassEvent, BypassPolicy
from org.choices import Role

from ..org.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/bypass-policies/"
GATE = "incident.reopen.window"


def test_only_process_owners_save_a_policy_version(api, analyst, in_group, policies):
    body = {"gate_id": GATE, "risk_class": "*", "rule": {"group": "Managers", "required": 1}}
    refused = api(analyst).post(URL, body, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "bypass.permission.policy"
    assert refused.json()["message"] == "Only process owners edit bypass policies."

    owner = in_group(UserFactory(username="po"), Role.PROCESS_OWNER)
    before = BypassPolicy.objects.filter(gate_id=GATE, risk_class="*").count()
    response = api(owner).post(URL, {**body, "max_uses": 2}, format="json")
    assert response.status_code == 201, response.json()
    saved = response.json()
    assert saved["gate_id"] == GATE and saved["version"] == before + 1
    assert saved["rule"] == {"group": "Managers", "required": 1}
    assert saved["max_uses"] == 2 and saved["is_active"] is True
    assert response["Location"] == f"{URL}{saved['id']}/"
    assert api(analyst).get(response["Location"]).json()["version"] == saved["version"]
    assert list(
        BypassPolicy.objects.filter(gate_id=GATE, risk_class="*", is_active=True).values_list(
            "pk", flat=True
        )
    ) == [saved["id"]]
    event = BypassEvent.objects.filter(type="bypass.policy_changed").order_by("-seq").first()
    assert json.loads(event.body)["payload"]["version"] == saved["version"]

    bad = api(owner).post(URL, {**body, "risk_class": "urgent"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["message"] == "Risk class is low, medium, high, critical or *."
    unknown = api(owner).post(URL, {**body, "approvers": [1]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "request.unknown_fields"
