"""/api/v1/routing-rules/: the permission matrix, bad input as 400 (never 500), dry run,
query counts and the OpenAPI schema."""

from typing import Any

import pytest

from incidents.models import RoutingRule
from incidents.services import routing as svc
from org.choices import Role
from tests.incidents.factories import make_incident
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/routing-rules/"
BODY = {
    "name": "VPN outages",
    "conditions": {"all": [{"field": "title", "op": "matches", "value": r"\bvpn\b"}]},
    "actions": [{"type": "set_team", "team_id": 0}],
}


@pytest.fixture
def network(db: Any) -> Any:
    return TeamFactory(slug="net", name="Network")


@pytest.fixture
def owner(in_group: Any) -> Any:
    return in_group(UserFactory(username="owner"), Role.PROCESS_OWNER)


@pytest.fixture
def body(network: Any) -> dict[str, Any]:
    return {**BODY, "actions": [{"type": "set_team", "team_id": network.pk}]}


@pytest.fixture
def rule(owner: Any, body: dict[str, Any]) -> RoutingRule:
    return svc.routing_rule_create(actor=owner, **body)


@pytest.fixture
def people(requester: Any, analyst: Any, manager: Any, owner: Any, admin_user: Any) -> dict:
    return {
        "anonymous": None,
        "requester": requester,
        "analyst": analyst,
        "manager": manager,
        "process_owner": owner,
        "admin": admin_user,
    }


WRITERS = {"process_owner", "admin"}


@pytest.mark.parametrize(
    "who", ["anonymous", "requester", "analyst", "manager", "process_owner", "admin"]
)
def test_permission_matrix(api: Any, people: dict, who: str, rule: Any, body: dict) -> None:
    client = api(people[who])
    detail = f"{BASE}{rule.pk}/"
    reads = [client.get(BASE), client.get(detail)]
    if who == "anonymous":
        assert {r.status_code for r in reads} == {401}
    else:
        assert [r.status_code for r in reads] == [200, 200]
        assert reads[0].json()["results"][0]["name"] == "VPN outages"
    writer = who in WRITERS
    expected = (201, 200, 200, 200, 204) if writer else (403,) * 5
    if who == "anonymous":
        expected = (401,) * 5
    got = (
        client.post(BASE, {**body, "name": "Another"}, format="json").status_code,
        client.patch(detail, {"is_enabled": True}, format="json").status_code,
        client.post(f"{detail}dry-run/", {}, format="json").status_code,
        client.post(f"{BASE}dry-run/", body, format="json").status_code,
        client.delete(detail).status_code,
    )
    assert got == expected
    assert RoutingRule.objects.filter(pk=rule.pk).exists() is not writer


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"conditions": {"all": [{"field": "title", "op": "matches", "value": "(["}]}}, "valid"),
        (
            {"conditions": {"all": [{"field": "title", "op": "matches", "value": "a{99999999}"}]}},
            "",
        ),
        ({"conditions": {"any": "nope"}}, "expected a list"),
        ({"conditions": [1, 2]}, ""),
        ({"conditions": "x" * 10}, ""),
        ({"actions": []}, "at least one action"),
        ({"actions": "x"}, ""),
        ({"actions": [{"type": "set_team", "team_id": 10**30}]}, ""),
        ({"actions": [{"type": "set_team", "team_id": 987654}]}, "No team"),
        ({"actions": [{"type": "assign", "strategy": "coin"}]}, "strategy"),
        ({"name": ""}, ""),
        ({"name": "x" * 500}, ""),
        ({"colour": "red"}, "Unknown field"),
        ({"position": -1}, ""),
        ({"conditions": None}, ""),
    ],
)
def test_bad_input_is_a_400_with_a_message(
    api: Any, owner: Any, body: dict, rule: Any, change: dict, message: str
) -> None:
    client = api(owner)
    for response in (
        client.post(BASE, {**body, "name": "New", **change}, format="json"),
        client.patch(f"{BASE}{rule.pk}/", change, format="json"),
    ):
        assert response.status_code == 400, response.content
        text = response.json()["message"]
        assert text and message in text
    assert RoutingRule.objects.get(pk=rule.pk).conditions == body["conditions"]


def test_a_pattern_error_names_the_pattern(api: Any, owner: Any, body: dict) -> None:
    bad = {"all": [{"field": "description", "op": "matches", "value": "vpn(["}]}
    response = api(owner).post(BASE, {**body, "conditions": bad}, format="json")
    assert response.status_code == 400
    assert "'vpn([' is not a valid pattern" in response.json()["message"]


def test_unknown_rule_is_a_404(api: Any, owner: Any) -> None:
    for path in (f"{BASE}999999/", f"{BASE}abc/"):
        assert api(owner).get(path).status_code == 404


def test_dry_run_lists_matches_with_reasons_and_what_it_would_do(
    api: Any, owner: Any, requester: Any, rule: Any
) -> None:
    hit = make_incident(requester, title="VPN flaky")
    make_incident(requester, title="Printer jam")
    response = api(owner).post(f"{BASE}{rule.pk}/dry-run/", {"days": 7}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["days"], data["looked_at"], data["matched"]) == (7, 2, 1)
    match = data["matches"][0]
    assert match["incident_id"] == hit.pk and match["ref"] == hit.ref
    assert match["would"] == ["route to Network"]
    assert match["decision"]["team_id"] == rule.actions[0]["team_id"]
    unsaved = api(owner).post(
        f"{BASE}dry-run/",
        {
            "conditions": {"all": [{"field": "title", "op": "contains", "value": "printer"}]},
            "actions": rule.actions,
        },
        format="json",
    )
    assert unsaved.status_code == 200 and unsaved.json()["matched"] == 1
    bad = api(owner).post(f"{BASE}{rule.pk}/dry-run/", {"days": 0}, format="json")
    assert bad.status_code == 400


@pytest.mark.parametrize("rows", [2, 15])
def test_list_query_count_is_constant(
    api: Any, owner: Any, network: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for n in range(rows):
        svc.routing_rule_create(
            actor=owner,
            name=f"Rule {n}",
            conditions={},
            actions=[{"type": "set_team", "team_id": network.pk}],
        )
    reader = UserFactory(username="reader")
    client = api(reader)
    with django_assert_num_queries(2):  # count, page (with the author joined)
        response = client.get(f"{BASE}?page_size=50")
    assert response.json()["count"] == rows
    first = RoutingRule.objects.order_by("pk").values_list("pk", flat=True)[0]
    with django_assert_num_queries(1):
        assert client.get(f"{BASE}{first}/").status_code == 200


def test_the_schema_documents_routing_rules(api: Any, requester: Any) -> None:
    schema = api(requester).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/routing-rules/" in paths
    assert "/api/v1/routing-rules/{id}/dry-run/" in paths
    assert "/api/v1/routing-rules/dry-run/" in paths
    assert set(paths["/api/v1/routing-rules/{id}/"]) >= {"get", "patch", "delete"}


@pytest.mark.parametrize("rows", [2, 12])
def test_dry_run_query_count_is_constant(
    api: Any, owner: Any, requester: Any, rule: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for n in range(rows):
        make_incident(requester, title=f"VPN trouble {n}")
    client = api(owner)
    # the rule, the incidents (requester, service, team joined), the names of the teams the
    # rule names (roles are already known; no category or person named: no query)
    with django_assert_num_queries(3):
        response = client.post(f"{BASE}{rule.pk}/dry-run/", {}, format="json")
    assert response.json()["matched"] == rows
