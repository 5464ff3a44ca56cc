"""Per-user API tokens: created and revoked in the browser, stored hashed, used by clients."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from org import services
from org.models import ApiToken
from servicedesk.errors import Conflict, NotFound, ValidationFailed


def test_create_in_browser_shows_token_once_and_stores_only_a_hash(
    requester: Any, client: Client
) -> None:
    client.force_login(requester)
    response = client.post("/account/tokens/", {"name": "monitoring", "expires_in_days": 30})
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
    with pytest.raises(NotFound):
        services.api_token_revoke(user=other_requester, token_key=token.token_key)


def test_invalid_names_are_refused_and_nothing_is_stored(requester: Any, client: Client) -> None:
    with pytest.raises(ValidationFailed):
        services.api_token_create(user=requester, name="   ")
    client.force_login(requester)
    response = client.post("/account/tokens/", {"name": "", "expires_in_days": 7})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_token_limit(requester: Any, client: Client) -> None:
    for i in range(services.MAX_TOKENS_PER_USER):
        services.api_token_create(user=requester, name=f"t{i}")
    with pytest.raises(Conflict):
        services.api_token_create(user=requester, name="one too many")
    client.force_login(requester)
    response = client.post("/account/tokens/", {"name": "again", "expires_in_days": 7})
    assert response.status_code == 400
    assert "revoke one first" in response.content.decode()


def test_revoke_requires_post(requester: Any, client: Client) -> None:
    token, _ = services.api_token_create(user=requester, name="x")
    client.force_login(requester)
    assert client.get(f"/account/tokens/{token.token_key}/revoke/").status_code == 405


def test_tokens_page_requires_login(db: Any, client: Client) -> None:
    assert client.get("/account/tokens/").status_code == 302
