"""The people directory as requesters see it, login throttling and lockout, and credentials
ending with a password change or a deactivation."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from org import services
from org.choices import SeniorityBand
from org.models import ApiToken

from .factories import DepartmentFactory, UserFactory

PASSWORD = "pw-for-tests-1"  # the factories' password
WITHHELD = ["email", "job_title", "seniority_band", "is_vip", "manager", "time_zone"]


# --- the directory -------------------------------------------------------------------------
@pytest.fixture
def colleague(db: Any, manager: Any) -> Any:
    return UserFactory(
        username="vip",
        display_name="Vera Important",
        email="vera@example.com",
        department=DepartmentFactory(code="fin", name="Finance"),
        job_title="CFO",
        seniority_band=SeniorityBand.EXECUTIVE,
        is_vip=True,
        manager=manager,
    )


def test_requesters_see_colleagues_by_name_and_department_only(
    api: Any, requester: Any, colleague: Any
) -> None:
    body = api(requester).get(f"/api/v1/users/{colleague.pk}/").json()
    assert body["name"] == "Vera Important" and body["username"] == "vip"
    assert body["department"]["name"] == "Finance"
    assert {field: body[field] for field in WITHHELD} == dict.fromkeys(WITHHELD)
    listed = api(requester).get("/api/v1/users/?q=vera").json()["results"]
    assert [u["email"] for u in listed] == [None]


def test_analysts_see_the_whole_directory_entry(api: Any, analyst: Any, colleague: Any) -> None:
    body = api(analyst).get(f"/api/v1/users/{colleague.pk}/").json()
    assert (body["email"], body["is_vip"], body["seniority_band"]) == (
        "vera@example.com",
        True,
        "executive",
    )
    assert body["manager"]["username"] == "manager"


def test_requesters_cannot_filter_or_search_by_what_they_are_not_shown(
    api: Any, requester: Any, analyst: Any, colleague: Any
) -> None:
    refused = api(requester).get("/api/v1/users/?seniority_band=executive")
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "request.invalid",
        "message": "Requesters cannot filter people by seniority_band.",
        "details": {"seniority_band": ["Not a filter requesters can use."]},
    }
    assert api(requester).get("/api/v1/users/?q=vera@example").json()["count"] == 0
    assert api(analyst).get("/api/v1/users/?q=vera@example").json()["count"] == 1
    by_band = api(analyst).get("/api/v1/users/?seniority_band=executive").json()
    assert [u["username"] for u in by_band["results"]] == ["vip"]
    fin = colleague.department_id
    assert api(requester).get(f"/api/v1/users/?department_id={fin}").json()["count"] == 1


# --- login throttling ----------------------------------------------------------------------
def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_an_account_is_locked_after_repeated_failures_with_a_clear_message(
    requester: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(3):
        client = Client(REMOTE_ADDR=f"203.0.113.{n + 1}")  # from three addresses
        response = _login(client, "requester", "wrong")
        assert response.status_code in {200, 429}
    locked = _login(Client(REMOTE_ADDR="198.51.100.4"), "requester", PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    text = locked.content.decode()
    assert (
        "Too many failed sign-ins for this account or from your network. For your security, "
        "signing in is paused for 15 minutes." in text
    )
    assert "sessionid" not in locked.cookies  # not signed in, even with the right password
    # The attempts are on record: who, from where, when.
    assert AccessFailureLog.objects.filter(username="requester").count() == 4
    assert AccessAttempt.objects.filter(username="requester").exists()


def test_an_address_is_locked_after_failures_against_many_accounts(
    requester: Any, other_requester: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for name in ("alice", "bob", "carol"):
        _login(attacker, name, "guess")
    assert _login(attacker, "requester", PASSWORD).status_code == 429
    # Someone else, elsewhere, signs in as usual.
    response = _login(Client(REMOTE_ADDR="198.51.100.5"), "other", PASSWORD)
    assert response.status_code == 302


def test_the_lockout_ends_after_the_cool_off(requester: Any, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(2):
        _login(client, "requester", "wrong")
    assert _login(client, "requester", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert _login(client, "requester", PASSWORD).status_code == 302
    assert AccessLog.objects.filter(username="requester").exists()  # the success is logged


def test_a_success_before_the_limit_resets_the_count(requester: Any, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(2):
        _login(client, "requester", "wrong")
    assert _login(client, "requester", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _login(client, "requester", "wrong")
    assert _login(client, "requester", PASSWORD).status_code == 302


# --- credentials end with a password change or a deactivation ------------------------------
def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _token(user: Any) -> APIClient:
    _token, plaintext = services.api_token_create(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    return client


def test_a_password_change_revokes_tokens_and_other_sessions(
    requester: Any, other_requester: Any
) -> None:
    browser, laptop = _signed_in(requester), _signed_in(requester)
    script = _token(requester)
    bystander, bystander_script = _signed_in(other_requester), _token(other_requester)
    assert script.get("/api/v1/me/").status_code == 200
    services.user_password_set(
        user=requester,
        password="a-new-long-passphrase",
        keep_session_key=browser.session.session_key,
    )
    assert script.get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=requester).exists()
    assert laptop.get("/api/v1/me/").status_code in {401, 403}
    assert browser.get("/").status_code == 200  # the session that changed it stays
    assert bystander.get("/").status_code == 200
    assert bystander_script.get("/api/v1/me/").status_code == 200


def test_deactivation_revokes_tokens_and_sessions(requester: Any) -> None:
    browser, script = _signed_in(requester), _token(requester)
    services.user_deactivate(user=requester)
    assert script.get("/api/v1/me/").status_code == 401
    assert browser.get("/").status_code == 302  # back to the sign-in page
    assert not ApiToken.objects.filter(user=requester).exists()
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id")]


def test_the_admin_password_form_and_deactivation_go_through_the_services(
    admin_user: Any, requester: Any
) -> None:
    admin = _signed_in(admin_user)
    script = _token(requester)
    response = admin.post(
        f"/admin/org/user/{requester.pk}/password/",
        {"password1": "Another-long-pass-9", "password2": "Another-long-pass-9",
         "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:500]
    assert script.get("/api/v1/me/").status_code == 401
    requester.refresh_from_db()
    assert requester.check_password("Another-long-pass-9")

    script = _token(requester)
    session = _signed_in(requester)
    change = admin.get(f"/admin/org/user/{requester.pk}/change/")
    form = change.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "is_active": "",
            "date_joined_0": requester.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": requester.date_joined.strftime("%H:%M:%S"),
            "seniority_band": requester.seniority_band,
            "time_zone": requester.time_zone,
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    saved = admin.post(f"/admin/org/user/{requester.pk}/change/", data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    requester.refresh_from_db()
    assert requester.is_active is False
    assert script.get("/api/v1/me/").status_code == 401
    assert session.get("/").status_code == 302


def test_changing_ones_own_password_in_the_browser(requester: Any) -> None:
    browser, laptop, script = _signed_in(requester), _signed_in(requester), _token(requester)
    page = browser.get("/account/password/")
    assert page.status_code == 200 and "Change your password" in page.content.decode()
    response = browser.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Correct-horse-battery-9",
            "new_password2": "Correct-horse-battery-9",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "Password changed. Your API tokens were revoked and your other sessions signed out."
        in response.content.decode()
    )
    assert browser.get("/").status_code == 200  # still signed in here
    assert laptop.get("/").status_code == 302  # signed out elsewhere
    assert script.get("/api/v1/me/").status_code == 401
    wrong = browser.post(
        "/account/password/",
        {"old_password": "nope", "new_password1": "x", "new_password2": "x"},
    )
    assert wrong.status_code == 400 and "Your old password was entered incorrectly." in (
        wrong.content.decode()
    )
