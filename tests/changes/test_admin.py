from typing import Any

from django.test import Client

from .factories import make_change


def test_admin_shows_changes_read_only(admin_user: Any, requester: Any, client: Client) -> None:
    change = make_change(requester)
    client.force_login(admin_user)
    page = client.get(f"/admin/changes/change/{change.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert client.post(f"/admin/changes/change/{change.pk}/delete/").status_code == 403
    event = change.events.get()
    assert client.post(f"/admin/changes/changeevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/changes/change/add/").status_code == 403
    assert client.get("/admin/changes/changeauthority/").status_code == 200
    assert client.get("/admin/changes/changetemplate/add/").status_code == 403
