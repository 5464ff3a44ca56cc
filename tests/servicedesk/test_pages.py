"""Browser base: login, navigation by role, error pages."""

import re
from typing import Any

from django.test import Client


def test_home_requires_login(db: Any, client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_and_sign_in(requester: Any, client: Client) -> None:
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "requester", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "Good to see you, Requester" in page.content.decode()


def test_wrong_password_is_refused(requester: Any, client: Client) -> None:
    response = client.post("/login/", {"username": "requester", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_navigation_adapts_to_role(requester: Any, admin_user: Any, client: Client) -> None:
    client.force_login(requester)
    assert ">Admin<" not in client.get("/").content.decode()
    client.force_login(admin_user)
    assert ">Admin<" in client.get("/").content.decode()


def test_htmx_is_served_from_our_static_files(requester: Any, client: Client) -> None:
    client.force_login(requester)
    html = client.get("/").content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in html
    # nothing is loaded from another host (the CSRF token is random text, so look at URLs)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_custom_404_page(requester: Any, client: Client, settings: Any) -> None:
    settings.DEBUG = False
    client.force_login(requester)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_custom_403_page_says_why(requester: Any, client: Client, settings: Any) -> None:
    settings.DEBUG = False
    client.force_login(requester)
    response = client.get("/incidents/log/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Not allowed</h1>" in html
    assert "Logging a call for someone is for analysts and managers." in html


def test_custom_500_page_renders_without_context(rf: Any) -> None:
    from servicedesk.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
