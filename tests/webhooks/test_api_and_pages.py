"""Managing webhooks: API (permission matrix, secret shown once, errors, query counts), the
owner's pages and the admin."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from servicedesk.models import OutboxMessage
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription

URL = "http://127.0.0.1:9/hook"  # never contacted: these tests run no delivery
BODY = {"name": "Chat bridge", "url": URL, "event_types": ["incident.created"]}


def make(owner: Any, name: str = "Chat bridge") -> WebhookSubscription:
    subscription, _ = services.webhook_create(
        actor=owner, name=name, url=URL, event_types=["incident.created"]
    )
    return subscription


# --- API: who may do what ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "expected"),
    [(None, 401), ("requester", 403), ("analyst", 201), ("manager", 201), ("admin_user", 201)],
)
def test_who_may_subscribe(request: Any, api: Callable[..., Any], who: Any, expected: int) -> None:
    user = request.getfixturevalue(who) if who else None
    assert api(user).get("/api/v1/webhooks/").status_code == (401 if user is None else 200)
    response = api(user).post("/api/v1/webhooks/", BODY, format="json")
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json() == {
            "code": "auth.permission_denied",
            "message": "Only analysts, managers and admins can subscribe to webhooks.",
        }
    if expected == 201:
        body = response.json()
        assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
        assert body["event_types"] == ["incident.created"] and body["is_active"] is True
        stored = WebhookSubscription.objects.get(pk=body["id"])
        assert stored.secret == body["secret"]
        again = api(user).get(f"/api/v1/webhooks/{body['id']}/").json()
        assert "secret" not in again  # shown once


def test_owners_see_their_own_and_admins_see_all(
    api: Callable[..., Any], analyst: Any, other_analyst: Any, admin_user: Any, requester: Any
) -> None:
    mine = make(analyst)
    theirs = make(other_analyst, "Theirs")
    assert [w["id"] for w in api(analyst).get("/api/v1/webhooks/").json()["results"]] == [mine.pk]
    assert api(requester).get("/api/v1/webhooks/").json()["results"] == []
    everyone = api(admin_user).get("/api/v1/webhooks/").json()["results"]
    assert [w["id"] for w in everyone] == [theirs.pk, mine.pk]
    for method, suffix in [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "test/"),
        ("get", "deliveries/"),
    ]:
        response = getattr(api(other_analyst), method)(
            f"/api/v1/webhooks/{mine.pk}/{suffix}", {}, format="json"
        )
        assert response.status_code == 404, (method, suffix)
        assert response.json() == {"code": "resource.not_found", "message": "No such webhook."}
    assert api(None).get(f"/api/v1/webhooks/{mine.pk}/").status_code == 401
    assert api(admin_user).get(f"/api/v1/webhooks/{mine.pk}/").status_code == 200


def test_create_answers_with_location_and_writes_honour_if_match(
    api: Callable[..., Any], analyst: Any
) -> None:
    client = api(analyst)
    created = client.post("/api/v1/webhooks/", BODY, format="json")
    url = f"/api/v1/webhooks/{created.json()['id']}/"
    assert created["Location"] == f"http://testserver{url}"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"name": "A"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = client.patch(url, {"name": "B"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["code"] == "precondition.failed"
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert WebhookSubscription.objects.get().name == "A"
    unknown = client.patch(url, {"secret": "mine"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "request.unknown_fields"
    assert client.post(f"{url}test/", {"event": "x"}, format="json").status_code == 400


def test_update_enable_disable_and_delete(api: Callable[..., Any], analyst: Any) -> None:
    subscription = make(analyst)
    client = api(analyst)
    url = f"/api/v1/webhooks/{subscription.pk}/"
    response = client.patch(url, {"name": "Renamed", "is_active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed" and response.json()["is_active"] is False
    assert response.json()["disabled_reason"] == f"Disabled by {analyst.name}."
    response = client.patch(url, {"is_active": True}, format="json")
    assert response.json()["is_active"] is True and response.json()["disabled_at"] is None
    assert client.put(url, BODY, format="json").status_code == 405
    assert client.delete(url).status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({**BODY, "event_types": ["incident.exploded"]}, "event_types", "not a valid choice"),
        ({**BODY, "event_types": []}, "event_types", "at least 1"),
        ({**BODY, "url": "not a url"}, "url", "Enter a valid URL."),
        ({**BODY, "url": "ftp://example.org/x"}, None, "url:invalid"),
        ({**BODY, "url": "https://user:pw@example.org/x"}, None, "url:credentials"),
        ({**BODY, "name": ""}, "name", "may not be blank"),
        ({**BODY, "name": "x" * 81}, "name", "no more than 80"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    api: Callable[..., Any], analyst: Any, body: dict[str, Any], field: str | None, detail: str
) -> None:
    response = api(analyst).post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    error = response.json()
    if field:
        assert error["code"] == "request.invalid" and detail in str(error["details"][field])
    else:
        messages = {
            "url:invalid": "The URL must be an http:// or https:// address.",
            "url:credentials": "Put no credentials in the URL: deliveries are signed instead.",
        }
        assert error == {
            "code": "request.invalid",
            "message": messages[detail],
            "details": {"url": [detail.split(":")[1]]},
        }
    assert not WebhookSubscription.objects.exists()


def test_send_test_event_and_the_delivery_log(api: Callable[..., Any], analyst: Any) -> None:
    subscription = make(analyst)
    response = api(analyst).post(f"/api/v1/webhooks/{subscription.pk}/test/")
    assert response.status_code == 202
    body = response.json()
    assert body["event_type"] == "webhook.test" and body["status"] == "pending"
    delivery = WebhookDelivery.objects.get(uuid=body["id"])
    assert OutboxMessage.objects.filter(key=f"webhook-deliver:{delivery.pk}:1").exists()
    log = api(analyst).get(f"/api/v1/webhooks/{subscription.pk}/deliveries/").json()
    assert [d["id"] for d in log["results"]] == [body["id"]]
    assert log["results"][0]["attempt_log"] == []


@pytest.mark.parametrize("rows", [2, 12])
def test_list_query_count_is_constant(
    api: Callable[..., Any], analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    for n in range(rows):
        make(analyst, f"Hook {n}")
    client = api(analyst)
    with django_assert_num_queries(2):  # count, page (owner joined)
        assert len(client.get("/api/v1/webhooks/").json()["results"]) == rows


@pytest.mark.parametrize("rows", [2, 12])
def test_delivery_log_query_count_is_constant(
    api: Callable[..., Any], analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    subscription = make(analyst)
    for _ in range(rows):
        services.webhook_send_test(subscription=subscription, actor=analyst)
    client = api(analyst)
    with django_assert_num_queries(4):  # subscription, count, page, attempts
        response = client.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/")
    assert len(response.json()["results"]) == rows


def test_the_schema_documents_the_endpoints(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/webhooks/"]) >= {"get", "post"}
    assert set(paths["/api/v1/webhooks/{id}/"]) >= {"get", "patch", "delete"}
    assert "202" in paths["/api/v1/webhooks/{id}/test/"]["post"]["responses"]
    assert "200" in paths["/api/v1/webhooks/{id}/deliveries/"]["get"]["responses"]
    created = schema["components"]["schemas"]["WebhookCreated"]
    assert "secret" in created["properties"]
    assert "secret" not in schema["components"]["schemas"]["Webhook"]["properties"]


# --- pages ---------------------------------------------------------------------------------
def test_requesters_get_no_webhook_pages(client: Client, requester: Any) -> None:
    client.force_login(requester)
    response = client.get("/webhooks/")
    assert response.status_code == 403
    assert (
        "Only analysts, managers and admins can subscribe to webhooks." in response.content.decode()
    )
    assert 'href="/webhooks/"' not in client.get("/").content.decode()


def test_the_owner_subscribes_and_sees_the_secret_once(client: Client, analyst: Any) -> None:
    client.force_login(analyst)
    assert 'href="/webhooks/"' in client.get("/").content.decode()
    page = client.get("/webhooks/")
    assert page.status_code == 200 and "No webhooks yet." in page.content.decode()
    response = client.post(
        "/webhooks/",
        {"name": "Chat bridge", "url": URL, "event_types": ["incident.created", "incident.noted"]},
    )
    assert response.status_code == 201
    html = response.content.decode()
    subscription = WebhookSubscription.objects.get()
    assert "Copy its signing secret now: it is not shown again." in html
    assert subscription.secret in html
    assert subscription.event_types == ["incident.created", "incident.noted"]
    later = client.get("/webhooks/").content.decode()
    assert subscription.secret not in later and "Chat bridge" in later


def test_the_subscribe_form_refuses_bad_input(client: Client, analyst: Any) -> None:
    client.force_login(analyst)
    response = client.post("/webhooks/", {"name": "x", "url": "https://u:p@example.org/"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html  # no event types chosen
    response = client.post(
        "/webhooks/",
        {"name": "x", "url": "https://u:p@example.org/", "event_types": ["incident.created"]},
    )
    assert response.status_code == 400
    assert "Put no credentials in the URL: deliveries are signed instead." in (
        response.content.decode()
    )
    assert not WebhookSubscription.objects.exists()


def test_the_detail_page_tests_toggles_and_deletes(
    client: Client, analyst: Any, other_analyst: Any
) -> None:
    subscription = make(analyst)
    client.force_login(other_analyst)
    assert client.get(f"/webhooks/{subscription.pk}/").status_code == 404
    assert client.post(f"/webhooks/{subscription.pk}/delete/").status_code == 404
    client.force_login(analyst)
    html = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "Nothing delivered yet." in html and "Send test event" in html
    response = client.post(f"/webhooks/{subscription.pk}/test/", follow=True)
    html = response.content.decode()
    assert "Test event queued: its outcome appears in the log below." in html
    assert "webhook.test" in html and "not tried yet" in html
    response = client.post(f"/webhooks/{subscription.pk}/toggle/", follow=True)
    assert "Webhook disabled: no events sent." in response.content.decode()
    assert WebhookSubscription.objects.get().is_active is False
    response = client.post(f"/webhooks/{subscription.pk}/toggle/", follow=True)
    assert "Webhook enabled." in response.content.decode()
    assert client.get(f"/webhooks/{subscription.pk}/delete/").status_code == 405
    response = client.post(f"/webhooks/{subscription.pk}/delete/", follow=True)
    assert "Webhook “Chat bridge” deleted." in response.content.decode()
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("rows", [2, 12])
def test_detail_page_query_count_is_constant(
    client: Client, analyst: Any, rows: int, django_assert_num_queries: Any
) -> None:
    subscription = make(analyst)
    for _ in range(rows):
        services.webhook_send_test(subscription=subscription, actor=analyst)
    client.force_login(analyst)
    client.get("/")  # warm the session
    with django_assert_num_queries(WEBHOOK_PAGE_QUERIES):
        response = client.get(f"/webhooks/{subscription.pk}/")
    assert response.content.decode().count("webhook.test") == rows


# session, user, roles (3), the bell's unread count, subscription, count, page, attempts
WEBHOOK_PAGE_QUERIES = 10


# --- admin ---------------------------------------------------------------------------------
def test_the_admin_creates_through_the_service_and_shows_the_secret_once(
    client: Client, admin_user: Any, analyst: Any
) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/admin/webhooks/webhooksubscription/add/",
        {"owner": analyst.pk, "name": "Ops", "url": URL, "event_types": ["incident.created"]},
        follow=True,
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.owner == analyst
    assert (
        f"Signing secret for “Ops” (shown once, give it to the owner): {subscription.secret}"
        in (response.content.decode())
    )
    assert (
        subscription.secret
        not in client.get(
            f"/admin/webhooks/webhooksubscription/{subscription.pk}/change/"
        ).content.decode()
    )
    response = client.post(
        "/admin/webhooks/webhooksubscription/",
        {"action": "send_test", "_selected_action": [subscription.pk]},
        follow=True,
    )
    assert "Test events queued." in response.content.decode()
    assert WebhookDelivery.objects.filter(event_type="webhook.test").count() == 1
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code == 200


def test_the_admin_refuses_a_requester_as_owner(
    client: Client, admin_user: Any, requester: Any
) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/admin/webhooks/webhooksubscription/add/",
        {
            "owner": requester.pk,
            "name": "Ops",
            "url": "https://u:p@example.org/",
            "event_types": ["incident.created"],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Only analysts, managers and admins can subscribe to webhooks." in html
    assert "Put no credentials in the URL: deliveries are signed instead." in html
    assert not WebhookSubscription.objects.exists()
