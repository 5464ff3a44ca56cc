"""The incident API's lean output path (servicedesk.lean) answers byte for byte what DRF's own
field machinery answers, and the list skips its filterset only when that changes nothing."""

from typing import Any
from unittest import mock

import pytest
from rest_framework import serializers

from incidents import services
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident, IncidentSla
from servicedesk.feeds import names_a_filter
from servicedesk.lean import LeanSerializerMixin, plan

from .factories import incident_in, make_incident, make_problem

pytestmark = pytest.mark.django_db

LIST = "/api/v1/incidents/"


def reference(self: Any, instance: Any) -> Any:
    """DRF's own ``Serializer.to_representation``: fields built, the generic loop per row."""
    return serializers.Serializer.to_representation(self, instance)


@pytest.fixture
def desk(requester: Any, analyst: Any, team: Any, manager: Any) -> list[Incident]:
    """An incident in every status, a merged duplicate, one linked to a problem, one without
    SLA clocks."""
    made = [
        incident_in(status, requester=requester, analyst=analyst, team=team, impact=1 + i % 3)
        for i, status in enumerate(
            ["new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled"]
        )
    ]
    kept = make_incident(requester, title="Printers jam on every floor")
    duplicate = make_incident(requester, title="Printer jams again")
    services.incident_merge(incident=duplicate, into=kept, actor=analyst)
    problem = make_problem(analyst)
    linked = make_incident(requester, title="Printer jam with a known cause")
    services.problem_link_incidents(problem=problem, incident_ids=[linked.pk], actor=analyst)
    bare = make_incident(requester, title="No clocks")
    IncidentSla.objects.filter(incident=bare).delete()
    return [*made, kept, duplicate, linked, bare]


@pytest.mark.parametrize("who", ["analyst", "other_analyst", "manager", "admin", "requester"])
def test_lean_list_and_detail_are_byte_identical_to_drf(
    desk: list[Incident], who: str, request: pytest.FixtureRequest, api: Any
) -> None:
    user = request.getfixturevalue("admin_user" if who == "admin" else who)
    client = api(user)
    urls = [
        LIST,
        f"{LIST}?page_size=3",
        f"{LIST}?page_size=200&ordering=priority",
        f"{LIST}?status=resolved&status=closed",
        f"{LIST}?open=true",
        *(f"{LIST}{incident.pk}/" for incident in desk),
    ]
    for url in urls:
        fast = client.get(url)
        with mock.patch.object(LeanSerializerMixin, "to_representation", reference):
            slow = client.get(url)
        assert fast.status_code == slow.status_code, url
        assert fast.content == slow.content, url
        if url == LIST and who != "requester":
            assert len(fast.json()["results"]) == len(desk)  # the fixture is all there


def test_plan_serves_plain_fields_from_prototypes_and_binds_the_rest() -> None:
    from incidents.api.serializers import IncidentSerializer

    kinds = {name: kind for name, kind, _ in plan(IncidentSerializer)}
    assert list(kinds) == IncidentSerializer.Meta.fields
    assert kinds["id"] == kinds["title"] == kinds["created_at"] == 0  # plain
    assert kinds["allowed_actions"] == 1 and kinds["sla"] == 1  # methods, on the request's
    assert kinds["requester"] == 2 and kinds["merged_into"] == 2  # nested plans
    assert kinds["url"] == 3  # reads the request: bound per request


def test_a_mapping_row_goes_through_drf_attribute_access() -> None:
    from org.api.serializers import UserBriefSerializer

    class Brief(LeanSerializerMixin, UserBriefSerializer):
        pass

    row = {"id": 7, "username": "ada", "name": "Ada"}
    assert Brief(row).data == UserBriefSerializer(row).data == row
    for serializer_class in (Brief, UserBriefSerializer):  # a required key missing: DRF's error
        with pytest.raises(KeyError, match="username"):
            serializer_class({"id": 7, "name": "Ada"}).data  # noqa: B018


@pytest.mark.parametrize("filterset_class", [IncidentFilterSet])
def test_a_filterset_with_no_parameter_of_its_own_changes_nothing(filterset_class: Any) -> None:
    """What ``names_a_filter`` relies on to skip building the filterset."""
    from django.forms import MultiWidget

    queryset = Incident.objects.all()
    filterset = filterset_class({"page_size": "25", "cursor": "x"}, queryset=queryset)
    assert filterset.is_valid()
    assert str(filterset.qs.query) == str(queryset.query)
    assert not filterset.is_change_feed()
    for name, field in filterset.form.fields.items():
        # each filter's query parameter is its own name
        assert not isinstance(field.widget, MultiWidget), name


def test_names_a_filter() -> None:
    assert not names_a_filter(IncidentFilterSet, None)
    assert not names_a_filter(IncidentFilterSet, {"page_size": "25", "cursor": "x"})
    assert names_a_filter(IncidentFilterSet, {"status": ""})
    assert names_a_filter(IncidentFilterSet, {"updated_after": "x", "page_size": "2"})


def test_an_invalid_filter_is_still_a_400(analyst: Any, api: Any) -> None:
    response = api(analyst).get(f"{LIST}?priority=9&page_size=5")
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["analyst", "requester"])
def test_a_session_viewer_gets_the_same_answer_as_a_token_one(
    desk: list[Incident], who: str, request: pytest.FixtureRequest, api: Any
) -> None:
    """A session's user reaches the serializer as a lazy proxy, which it unwraps once for the
    guards of ``allowed_actions``: the same actions as for the user itself."""
    from django.test import Client

    user = request.getfixturevalue(who)
    session = Client()
    session.force_login(user)
    url = f"{LIST}?page_size=200"
    by_session = session.get(url).json()["results"]
    assert by_session == api(user).get(url).json()["results"]
    assert any(row["allowed_actions"] for row in by_session)


def test_only_request_free_nested_classes_share_a_renderer() -> None:
    from incidents.api.serializers import IncidentSerializer, IncidentSlaSerializer
    from org.api.serializers import UserBriefSerializer
    from servicedesk.lean import _static

    assert _static(UserBriefSerializer)
    assert not _static(IncidentSlaSerializer)  # date-times: the request's time zone
    assert not _static(IncidentSerializer)  # a hyperlink and methods: the request's


def test_date_times_follow_the_time_zone_of_each_request(
    desk: list[Incident], api: Any, analyst: Any
) -> None:
    from django.utils import timezone

    client = api(analyst)
    url = f"{LIST}{desk[0].pk}/"
    utc = client.get(url).json()
    with timezone.override("Europe/Berlin"):
        with mock.patch.object(LeanSerializerMixin, "to_representation", reference):
            slow = client.get(url).content
        berlin = client.get(url)
    assert berlin.content == slow
    assert utc["created_at"].endswith("Z") and berlin.json()["created_at"].endswith("+01:00")
