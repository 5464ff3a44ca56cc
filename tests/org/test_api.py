"""Read-only organisation endpoints: permission matrix, filters, exact query counts."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from org.choices import ServiceTier

from .factories import BusinessServiceFactory, TeamFactory, UserFactory

ENDPOINTS = ["/api/v1/me/", "/api/v1/users/", "/api/v1/teams/", "/api/v1/services/"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_anonymous_is_refused(db: Any, url: str) -> None:
    assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("who", ["requester", "analyst", "manager", "admin_user"])
@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_role_can_read(request: Any, api: Any, who: str, url: str) -> None:
    assert api(request.getfixturevalue(who)).get(url).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/teams/", "/api/v1/services/", "/api/v1/users/"])
def test_endpoints_are_read_only(api: Any, admin_user: Any, url: str) -> None:
    assert api(admin_user).post(url, {"name": "x"}).status_code == 405


def test_me_shows_roles_and_teams(api: Any, analyst: Any) -> None:
    body = api(analyst).get("/api/v1/me/").json()
    assert body["username"] == "analyst"
    assert body["roles"] == ["analyst", "requester"]
    assert [t["slug"] for t in body["teams"]] == ["desk"]


def test_service_filters(api: Any, requester: Any) -> None:
    network = TeamFactory(slug="net")
    BusinessServiceFactory(slug="vpn", owner_team=network, tier=ServiceTier.TIER_1)
    BusinessServiceFactory(slug="print", tier=ServiceTier.TIER_4)
    client = api(requester)
    assert [s["slug"] for s in client.get("/api/v1/services/?tier=1").json()["results"]] == ["vpn"]
    by_team = client.get(f"/api/v1/services/?owner_team_id={network.pk}").json()["results"]
    assert [s["slug"] for s in by_team] == ["vpn"]
    assert [s["slug"] for s in client.get("/api/v1/services/?q=pri").json()["results"]] == ["print"]


def test_user_search(api: Any, requester: Any) -> None:
    UserFactory(username="zoe", display_name="Zoe Quinn")
    results = api(requester).get("/api/v1/users/?q=quinn").json()["results"]
    assert [u["username"] for u in results] == ["zoe"]


@pytest.mark.parametrize("rows", [3, 30])
def test_team_list_query_count_is_constant(
    api: Any, requester: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for i in range(rows):
        team = TeamFactory(slug=f"t{i}", lead=UserFactory(username=f"lead{i}"))
        team.members.add(UserFactory(username=f"m{i}"), UserFactory(username=f"n{i}"))
    client = api(requester)
    # session-less force_authenticate: count, page, members prefetch
    with django_assert_num_queries(3):
        response = client.get("/api/v1/teams/?page_size=50")
    assert response.json()["count"] == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_service_and_user_list_query_counts(
    api: Any, requester: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for i in range(rows):
        BusinessServiceFactory(slug=f"s{i}")
        UserFactory(username=f"u{i}", manager=requester)
    client = api(requester)
    with django_assert_num_queries(2):
        client.get("/api/v1/services/?page_size=50")
    # count, page, and the requester's roles (groups, teams, led teams: what they may see)
    with django_assert_num_queries(5):
        client.get("/api/v1/users/?page_size=50")
