from typing import Any

from django.test import Client

from .factories import make_incident


def test_admin_shows_incidents_read_only_and_config_editable(
    admin_user: Any, requester: Any, client: Client
) -> None:
    incident = make_incident(requester)
    client.force_login(admin_user)
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # status is not editable here
    assert client.post(f"/admin/incidents/incident/{incident.pk}/delete/").status_code == 403
    event = incident.events.get()
    assert client.post(f"/admin/incidents/incidentevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/incidents/incident/add/").status_code == 403
    assert client.get("/admin/incidents/priorityrule/").status_code == 200


def test_canned_replies_are_read_only_in_the_admin(
    admin_user: Any, manager: Any, team: Any, client: Client
) -> None:
    from incidents import services

    reply = services.canned_reply_create(actor=manager, team=team, title="Hello", body="Hi")
    client.force_login(admin_user)
    assert client.get("/admin/incidents/cannedreply/").status_code == 200
    assert client.get("/admin/incidents/cannedreply/add/").status_code == 403
    assert client.post(f"/admin/incidents/cannedreply/{reply.pk}/delete/").status_code == 403
