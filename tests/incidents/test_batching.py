"""Foreign keys fetched in batches after the rows (servicedesk.batching): the incident lists and
the ticket get their people in one query instead of three joins to the user table, and a
duplicate's original only when a row has one."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import selectors, services
from incidents.models import Incident

from .factories import incident_in, make_incident

pytestmark = pytest.mark.django_db


def test_list_rows_carry_their_people_and_originals_without_more_queries(
    requester: Any, analyst: Any, team: Any, admin_user: Any
) -> None:
    kept = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    duplicate = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    services.incident_merge(incident=duplicate, into=kept, actor=analyst)
    plain = make_incident(requester, title="No assignee")
    list(selectors.incident_list(user=admin_user)[:1])  # the viewer's roles, cached on the user
    with CaptureQueriesContext(connection) as listed:
        rows = list(
            selectors.incident_list(user=admin_user).filter(
                pk__in=[kept.pk, duplicate.pk, plain.pk]
            )
        )
    # the rows (small tables joined), their people (one query), the originals (one query)
    assert len(listed.captured_queries) == 3
    by_pk = {row.pk: row for row in rows}
    with CaptureQueriesContext(connection) as read:
        assert by_pk[duplicate.pk].merged_into == kept
        assert by_pk[duplicate.pk].merged_into.pk == kept.pk
        assert {row.requester.pk for row in rows} == {requester.pk}
        assert by_pk[kept.pk].assignee == analyst and by_pk[plain.pk].assignee is None
        assert by_pk[plain.pk].reported_by is None or by_pk[plain.pk].reported_by.pk
        assert by_pk[kept.pk].merged_into is None
    assert read.captured_queries == []
    # without a duplicate among them, no query for originals
    with CaptureQueriesContext(connection) as fewer:
        list(selectors.incident_list(user=admin_user).filter(pk=plain.pk))
    assert len(fewer.captured_queries) == 2


def test_the_ticket_is_two_queries_and_a_sub_resource_one(
    requester: Any, analyst: Any, team: Any
) -> None:
    incident = incident_in("assigned", requester=requester, analyst=analyst, team=team)
    selectors.incident_get(user=analyst, pk=incident.pk)  # the viewer's roles, cached
    with CaptureQueriesContext(connection) as got:
        row = selectors.incident_get(user=analyst, pk=incident.ref)
        assert (row.requester, row.assignee, row.team) == (requester, analyst, team)
    assert len(got.captured_queries) == 2
    with CaptureQueriesContext(connection) as bare:
        assert selectors.incident_get(user=analyst, pk=incident.pk, people=False).pk == incident.pk
    assert len(bare.captured_queries) == 1
    assert Incident.objects.batch_related("requester").batch_related(None)._batched == ()
