"""Attachments over the API: who may upload, list and download; limits on size and type; the
download streams the stored bytes with the stored type and never lets the browser sniff."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import Incident, IncidentAttachment

from ..org.factories import BusinessServiceFactory
from .factories import incident_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ACTORS = [
    "anonymous",
    "requester",
    "other_requester",
    "analyst",
    "other_analyst",
    "manager",
    "admin_user",
]


def codes(*expected: int) -> list[tuple[str, int]]:
    return list(zip(ACTORS, expected, strict=True))


def actor(request: pytest.FixtureRequest, who: str) -> Any:
    return None if who == "anonymous" else request.getfixturevalue(who)


def png(name: str = "screen.png", content: bytes = PNG, content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def state(incident: Incident) -> tuple[str, int, int]:
    incident.refresh_from_db()
    return incident.status, incident.events.count(), incident.attachments.count()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def incident(requester: Any, analyst: Any, team: Any) -> Incident:
    service = BusinessServiceFactory(slug="printing", owner_team=team)
    return incident_in(
        "in_progress", requester=requester, analyst=analyst, team=team, service=service
    )


def attachments_url(incident: Incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/attachments/"


def download_url(incident: Incident, attachment: Any) -> str:
    pk = attachment if isinstance(attachment, int | str) else attachment.pk
    return f"/api/v1/incidents/{incident.pk}/attachments/{pk}/download/"


def attach(incident: Incident, actor: Any, **kwargs: Any) -> IncidentAttachment:
    return services.incident_attach(incident=incident, actor=actor, upload=png(), **kwargs)


def body(response: Any) -> bytes:
    # Consuming the stream closes the response inside the test client. A second close()
    # would fire request_finished outside it and close the test's database connection.
    return b"".join(response.streaming_content)


# --- the permission matrix ------------------------------------------------------------------
@pytest.mark.parametrize(("who", "expected"), codes(401, 201, 404, 201, 201, 201, 201))
def test_upload_permission_matrix(
    request: Any, api: Any, incident: Incident, media: Path, who: str, expected: int
) -> None:
    before = state(incident)
    response = api(actor(request, who)).post(
        attachments_url(incident), {"file": png()}, format="multipart"
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        assert state(incident) == (before[0], before[1] + 1, 1)
    else:
        assert state(incident) == before
        assert stored_files(media) == []


@pytest.mark.parametrize(("who", "expected"), codes(401, 403, 404, 201, 201, 201, 201))
def test_internal_upload_permission_matrix(
    request: Any, api: Any, incident: Incident, media: Path, who: str, expected: int
) -> None:
    before = state(incident)
    response = api(actor(request, who)).post(
        attachments_url(incident), {"file": png(), "internal": "true"}, format="multipart"
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        assert response.json()["internal"] is True
    else:
        assert state(incident) == before
        assert stored_files(media) == []


@pytest.mark.parametrize(("who", "expected"), codes(401, 200, 404, 200, 200, 200, 200))
def test_list_and_download_permission_matrix(
    request: Any, api: Any, incident: Incident, requester: Any, who: str, expected: int
) -> None:
    attachment = attach(incident, requester)
    client = api(actor(request, who))
    listing = client.get(attachments_url(incident))
    assert listing.status_code == expected
    download = client.get(download_url(incident, attachment))
    assert download.status_code == expected
    if expected == 200:
        assert [a["id"] for a in listing.json()["results"]] == [attachment.pk]
        assert body(download) == PNG
    else:
        assert download.json()["code"] == (
            "resource.not_found" if expected == 404 else "auth.not_authenticated"
        )


# --- round trip -----------------------------------------------------------------------------
def test_upload_download_round_trip(
    api: Any, incident: Incident, requester: Any, media: Path
) -> None:
    client = api(requester)
    response = client.post(
        attachments_url(incident), {"file": png("Screen Shot.PNG")}, format="multipart"
    )
    assert response.status_code == 201
    meta = response.json()
    assert meta["filename"] == "Screen Shot.PNG"
    assert meta["content_type"] == "image/png"
    assert meta["size"] == len(PNG)
    assert meta["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert meta["internal"] is False
    assert meta["uploaded_by"]["id"] == requester.pk
    assert meta["download_url"].endswith(download_url(incident, meta["id"]))
    assert "file" not in meta  # the storage path is nobody's business

    files = stored_files(media)
    assert len(files) == 1 and "Screen" not in files[0].name  # a random name on disk
    assert incident.events.order_by("-pk").first().type == "incident.attachment_added"

    download = client.get(download_url(incident, meta["id"]))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == 'attachment; filename="Screen Shot.PNG"'
    assert body(download) == PNG


def test_download_ignores_what_the_client_accepts(
    api: Any, incident: Incident, requester: Any
) -> None:
    attachment = attach(incident, requester)
    for accept in ("text/html", "image/png", "application/json"):
        response = api(requester).get(download_url(incident, attachment), HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert body(response) == PNG


def test_text_is_served_as_a_download_not_a_page(
    api: Any, incident: Incident, requester: Any
) -> None:
    upload = SimpleUploadedFile("notes.txt", b"<script>alert(1)</script>", "text/plain")
    attachment = services.incident_attach(incident=incident, actor=requester, upload=upload)
    response = api(requester).get(download_url(incident, attachment))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == b"<script>alert(1)</script>"


# --- limits ---------------------------------------------------------------------------------
def test_too_large_is_400_with_a_clear_message(
    api: Any, incident: Incident, requester: Any, settings: Any, media: Path
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    before = state(incident)
    big = png("big.png", PNG + b"\x00" * (1024 * 1024))
    response = api(requester).post(attachments_url(incident), {"file": big}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "code": "attachment.too_large",
        "message": "Files are limited to 1 MB.",
    }
    assert state(incident) == before
    assert stored_files(media) == []


ALLOWED_WORDS = (
    "You can attach pictures (PNG, JPEG, GIF or WebP), PDF documents, text files, CSV files, "
    "ZIP archives, JSON files, Word documents and Excel workbooks."
)


@pytest.mark.parametrize(
    ("name", "content_type", "says"),
    [
        (
            "setup.exe",
            "application/octet-stream",
            f"“setup.exe” is a program, which cannot be attached. {ALLOWED_WORDS}",
        ),
        (
            "page.html",
            "text/html",
            f"“page.html” is a web page, which cannot be attached. {ALLOWED_WORDS}",
        ),
        (
            "noextension",
            "image/png",
            "“noextension” is a file of a kind we cannot tell from its "
            f"name, which cannot be attached. {ALLOWED_WORDS}",
        ),
        (
            "photo.png",
            "text/html",
            "“photo.png” is named like a picture (PNG), but what was "
            "sent is a web page. Attach the original file.",
        ),
    ],
)
def test_forbidden_type_is_400_with_a_clear_message(
    api: Any,
    incident: Incident,
    requester: Any,
    media: Path,
    name: str,
    content_type: str,
    says: str,
) -> None:
    before = state(incident)
    upload = png(name, content_type=content_type)
    response = api(requester).post(attachments_url(incident), {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "attachment.type_not_allowed"
    assert response.json()["message"] == says  # plain words, never a MIME type
    assert state(incident) == before
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, "file"), ({"file": "not a file"}, "file"), ({"file": png(content=b"")}, "file")],
)
def test_missing_or_empty_file_is_400(
    api: Any, incident: Incident, requester: Any, data: Any, field: str
) -> None:
    before = state(incident)
    response = api(requester).post(attachments_url(incident), data, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert state(incident) == before


def test_json_upload_is_415(api: Any, incident: Incident, requester: Any) -> None:
    response = api(requester).post(attachments_url(incident), {"file": "x"}, format="json")
    assert response.status_code == 415


def test_closed_incident_takes_no_more_files(
    api: Any, requester: Any, analyst: Any, team: Any, media: Path
) -> None:
    closed = incident_in("closed", requester=requester, analyst=analyst, team=team)
    response = api(requester).post(attachments_url(closed), {"file": png()}, format="multipart")
    assert response.status_code == 409
    assert stored_files(media) == []


# --- visibility -----------------------------------------------------------------------------
def test_requester_never_sees_internal_attachments(
    api: Any, incident: Incident, requester: Any, analyst: Any
) -> None:
    public = attach(incident, requester)
    internal = attach(incident, analyst, internal=True)
    mine = api(requester)
    assert [a["id"] for a in mine.get(attachments_url(incident)).json()["results"]] == [public.pk]
    assert mine.get(download_url(incident, internal)).status_code == 404
    theirs = api(analyst)
    listed = theirs.get(attachments_url(incident)).json()["results"]
    assert [(a["id"], a["internal"]) for a in listed] == [(public.pk, False), (internal.pk, True)]
    assert body(theirs.get(download_url(incident, internal))) == PNG


def test_another_requester_gets_404_on_download(
    api: Any, incident: Incident, requester: Any, other_requester: Any
) -> None:
    attachment = attach(incident, requester)
    response = api(other_requester).get(download_url(incident, attachment))
    assert response.status_code == 404
    assert response.json()["code"] == "resource.not_found"


def test_attachment_must_belong_to_the_incident_in_the_url(
    api: Any, incident: Incident, requester: Any, analyst: Any, team: Any
) -> None:
    attachment = attach(incident, requester)
    mine_too = incident_in("new", requester=requester, analyst=analyst, team=team)
    assert api(requester).get(download_url(mine_too, attachment)).status_code == 404
    for bad in ("999999", "abc"):
        response = api(requester).get(download_url(incident, bad))
        assert response.status_code == 404
        assert response.json()["code"] == "resource.not_found"


def test_missing_file_in_storage_is_404_not_500(
    api: Any, incident: Incident, requester: Any, media: Path
) -> None:
    attachment = attach(incident, requester)
    Path(attachment.file.path).unlink()
    response = api(requester).get(download_url(incident, attachment))
    assert response.status_code == 404


@pytest.mark.parametrize("rows", [3, 20])
def test_attachment_list_query_count_is_constant(
    api: Any,
    incident: Incident,
    requester: Any,
    analyst: Any,
    rows: int,
    django_assert_num_queries: Any,
) -> None:
    from org.models import User

    for n in range(rows):
        attach(incident, analyst if n % 2 else requester)
    client = api(User.objects.get(pk=analyst.pk))
    with django_assert_num_queries(3 + 3):  # roles (3), incident, count, page
        response = client.get(attachments_url(incident) + "?page_size=50")
    assert response.json()["count"] == rows
