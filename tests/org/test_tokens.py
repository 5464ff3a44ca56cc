"""Per-user API tokens: created and revoked in the browser, stored hashed, used by clients."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from org import services
from org.models import ApiToken
from servicedesk.errors import Conflict, NotFound, ValidationFailed

from ..refusals import refused


def test_create_in_browser_shows_token_once_and_stores_only_a_hash(
    requester: Any, client: Client
) -> None:
    client.force_login(requester)
    response = client.post(
        "/account/tokens/", {"name": "monitoring", "expires_in_days": 30, "scope": "read"}
    )
    assert response.status_code == 200
    plaintext = response.context["new_token"]
    assert plaintext.startswith("sd_")
    token = ApiToken.objects.get(user=requester)
    assert token.name == "monitoring"
    assert plaintext not in {token.digest, token.token_key}
    assert token.digest != plaintext and len(token.digest) == 128  # SHA-512 hex
    # the list page does not show it again
    assert plaintext not in client.get("/account/tokens/").content.decode()


def test_token_authenticates_api_until_revoked(requester: Any, client: Client) -> None:
    token, plaintext = services.api_token_create(user=requester, name="cli")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    assert api.get("/api/v1/me/").json()["username"] == "requester"
    client.force_login(requester)
    response = client.post(f"/account/tokens/{token.token_key}/revoke/")
    assert response.status_code == 302
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "auth.authentication_failed"


def test_cannot_revoke_someone_elses_token(
    requester: Any, other_requester: Any, client: Client
) -> None:
    token, _ = services.api_token_create(user=requester, name="mine")
    client.force_login(other_requester)
    response = client.post(f"/account/tokens/{token.token_key}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    with refused(NotFound, "No such token."):
        services.api_token_revoke(user=other_requester, token_key=token.token_key)


def test_invalid_names_are_refused_and_nothing_is_stored(requester: Any, client: Client) -> None:
    with refused(ValidationFailed, "Give the token a name, e.g. the tool that will use it."):
        services.api_token_create(user=requester, name="   ")
    client.force_login(requester)
    response = client.post("/account/tokens/", {"name": "", "expires_in_days": 7})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_token_limit(requester: Any, client: Client) -> None:
    for i in range(services.MAX_TOKENS_PER_USER):
        services.api_token_create(user=requester, name=f"t{i}")
    with refused(
        Conflict, f"You already have {services.MAX_TOKENS_PER_USER} tokens; revoke one first."
    ):
        services.api_token_create(user=requester, name="one too many")
    client.force_login(requester)
    response = client.post(
        "/account/tokens/", {"name": "again", "expires_in_days": 7, "scope": "read"}
    )
    assert response.status_code == 400
    assert "revoke one first" in response.content.decode()


def test_revoke_requires_post(requester: Any, client: Client) -> None:
    token, _ = services.api_token_create(user=requester, name="x")
    client.force_login(requester)
    assert client.get(f"/account/tokens/{token.token_key}/revoke/").status_code == 405


def test_tokens_page_requires_login(db: Any, client: Client) -> None:
    assert client.get("/account/tokens/").status_code == 302


# --- tokens by API ----------------------------------------------------------------------------
def _token_client(user: Any, scope: str = "read-write") -> APIClient:
    _token, plaintext = services.api_token_create(user=user, name=f"{scope} tool", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    return client


def test_api_creates_a_token_and_shows_its_secret_once(api: Any, requester: Any) -> None:
    client = api(requester)
    created = client.post(
        "/api/v1/tokens/",
        {"name": "backup sync", "scope": "read", "expires_in_days": 30},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    token = ApiToken.objects.get(user=requester)
    assert body["token"].startswith("sd_") and body["id"] == token.token_key
    assert (body["name"], body["scope"]) == ("backup sync", "read")
    assert created["Location"] == body["url"]
    assert token.expiry is not None and 29 <= (token.expiry - token.created).days <= 30
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [t["id"] for t in listed] == [token.token_key]
    assert "token" not in listed[0] and body["token"] not in str(listed)
    one = client.get(f"/api/v1/tokens/{token.token_key}/")
    assert one.status_code == 200 and "token" not in one.json()


def test_a_read_token_reads_but_every_change_is_403(requester: Any) -> None:
    client = _token_client(requester, "read")
    assert client.get("/api/v1/incidents/").status_code == 200
    refused = client.post("/api/v1/incidents/", {"title": "x"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "auth.token_read_only",
        "message": "This API token is read-only: it may not POST here. Use a read-write token "
        "(create one at /api/v1/tokens/ or on the tokens page) to make changes.",
    }
    # nor can it mint itself a stronger token
    assert (
        client.post(
            "/api/v1/tokens/", {"name": "escalate", "scope": "read-write"}, format="json"
        ).status_code
        == 403
    )
    assert ApiToken.objects.filter(user=requester).count() == 1
    writer = _token_client(requester, "read-write")
    assert writer.post("/api/v1/incidents/", {"title": "x"}, format="json").status_code == 201


def test_revoke_by_api(requester: Any, other_requester: Any, api: Any) -> None:
    token, plaintext = services.api_token_create(user=requester, name="old")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    assert api(other_requester).delete(f"/api/v1/tokens/{token.token_key}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{token.token_key}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 367}, "expires_in_days"),
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"name": ""}, "name"),
        ({"name": "x", "expiry": None}, "expiry"),
    ],
)
def test_token_input_is_bounded(api: Any, requester: Any, body: Any, field: str) -> None:
    response = api(requester).post("/api/v1/tokens/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"), [(None, 401), ("requester", 200), ("analyst", 200), ("admin_user", 200)]
)
def test_token_list_permission_matrix_and_queries(
    request: Any,
    api: Any,
    requester: Any,
    who: str | None,
    expected: int,
    django_assert_num_queries: Any,
) -> None:
    user = request.getfixturevalue(who) if who else None
    for i in range(3):
        services.api_token_create(user=requester, name=f"t{i}")
    client = api(user)
    if user is None:
        assert client.get("/api/v1/tokens/").status_code == 401
        return
    if user != requester:
        services.api_token_create(user=user, name="own")
    with django_assert_num_queries(2):  # count, page
        response = client.get("/api/v1/tokens/")
    assert response.status_code == expected
    assert len(response.json()["results"]) == (3 if who == "requester" else 1)  # only your own


def test_browser_page_offers_scope(requester: Any, client: Client) -> None:
    client.force_login(requester)
    response = client.post(
        "/account/tokens/", {"name": "dashboards", "expires_in_days": 30, "scope": "read"}
    )
    assert response.status_code == 200
    assert ApiToken.objects.get(user=requester).scope == "read"
    assert "Read only" in client.get("/account/tokens/").content.decode()
