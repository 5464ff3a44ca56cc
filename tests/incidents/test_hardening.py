"""Hardening of incidents and problems: no 500 from out-of-range input, one definition of each
input limit (forms and API alike), requesters cannot probe problems or raise priority, work
is assigned only to analysts, uploads are checked by their content."""

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from incidents import forms, limits, services
from incidents.api import serializers
from incidents.content_types import content_matches
from incidents.models import Incident
from servicedesk.errors import GuardFailed, ValidationFailed

from ..org.factories import BusinessServiceFactory, UserFactory
from .factories import make_incident, make_problem


@pytest.fixture
def desk_service(team: Any) -> Any:
    return BusinessServiceFactory(slug="printing", owner_team=team)


# --- out-of-range numbers ------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1000000", "1e9", "3651", "-1", "Infinity", "NaN"])
def test_older_than_days_out_of_range_is_a_400(api: Any, analyst: Any, value: str) -> None:
    response = api(analyst).get(f"/api/v1/incidents/?older_than_days={value}")
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid"
    assert response.json()["message"] == "Some filters are not valid."
    assert "older_than_days" in response.json()["details"]


def test_older_than_days_within_range_filters(api: Any, analyst: Any, requester: Any) -> None:
    make_incident(requester)
    assert api(analyst).get("/api/v1/incidents/?older_than_days=3650").json()["count"] == 0
    assert api(analyst).get("/api/v1/incidents/?older_than_days=0").json()["count"] == 1


def test_queue_page_older_than_days_out_of_range_is_not_a_500(client: Client, analyst: Any) -> None:
    client.force_login(analyst)
    assert client.get("/queue/team/?older_than_days=1000000000").status_code in {200, 400}


@pytest.mark.parametrize("value", [2**31, 2**63, 1_000_001])
def test_affected_users_beyond_the_limit_is_a_400_on_create_and_triage(
    api: Any, analyst: Any, requester: Any, team: Any, value: int
) -> None:
    client = api(analyst)
    created = client.post("/api/v1/incidents/", {"title": "x", "affected_users": value})
    assert created.status_code == 400
    assert created.json()["details"] == {
        "affected_users": ["Ensure this value is less than or equal to 1000000."]
    }
    incident = make_incident(requester, team=team, actor=analyst)
    triaged = client.post(f"/api/v1/incidents/{incident.pk}/triage/", {"affected_users": value})
    assert triaged.status_code == 400
    incident.refresh_from_db()
    assert incident.affected_users == 1


def test_services_refuse_affected_users_beyond_the_limit(requester: Any) -> None:
    with pytest.raises(ValidationFailed, match="At most 1,000,000 users can be recorded"):
        make_incident(requester, affected_users=limits.AFFECTED_USERS_MAX + 1)


def test_a_4400_digit_reference_in_the_link_form_is_a_form_error(
    client: Client, analyst: Any
) -> None:
    problem = make_problem(analyst)
    client.force_login(analyst)
    huge = "9" * 4400
    for refs in (huge, f"INC-{huge}", "9223372036854775808"):
        response = client.post(f"/problems/{problem.pk}/link/", {"link-refs": refs})
        assert response.status_code == 400
        assert "Not an incident reference:" in response.content.decode()
    assert Incident.id_from_ref(f"INC-{huge}") is None
    assert Incident.id_from_ref("INC-000042") == 42


def test_huge_ids_in_api_lists_are_a_400(api: Any, analyst: Any) -> None:
    body = {"incident_ids": [2**63], "team_id": None}
    response = api(analyst).post("/api/v1/incidents/bulk-assign/", body)
    assert response.status_code == 400
    assert "incident_ids" in response.json()["details"]


# --- one definition of each limit ----------------------------------------------------------
PAIRS = [
    (forms.ReportForm, "title", serializers.IncidentCreateInputSerializer, "title"),
    (forms.ReportForm, "description", serializers.IncidentCreateInputSerializer, "description"),
    (forms.ReasonForm, "reason", serializers.ReasonInputSerializer, "reason"),
    (forms.CommentForm, "body", serializers.CommentInputSerializer, "body"),
    (forms.PendForm, "note", serializers.PendInputSerializer, "note"),
    (forms.ResolveForm, "notes", serializers.ResolveInputSerializer, "resolution_notes"),
    (forms.RateForm, "comment", serializers.RateInputSerializer, "comment"),
    (forms.ProblemCreateForm, "title", serializers.ProblemCreateInputSerializer, "title"),
    (forms.ProblemUpdateForm, "root_cause", serializers.ProblemUpdateInputSerializer, "root_cause"),
    (
        forms.ProblemUpdateForm,
        "fix_change_ref",
        serializers.ProblemUpdateInputSerializer,
        "fix_change_ref",
    ),
    (forms.WorkaroundForm, "workaround", serializers.WorkaroundInputSerializer, "workaround"),
    (forms.KnownErrorForm, "root_cause", serializers.KnownErrorInputSerializer, "root_cause"),
]


@pytest.mark.parametrize(("form", "form_field", "serializer", "api_field"), PAIRS)
def test_forms_and_api_share_each_text_limit(
    db: Any, form: Any, form_field: str, serializer: Any, api_field: str
) -> None:
    form_limit = form().fields[form_field].max_length
    api_limit = serializer().fields[api_field].max_length
    assert form_limit == api_limit
    assert form_limit in {
        limits.TITLE_MAX,
        limits.TEXT_MAX,
        limits.REASON_MAX,
        limits.RATING_COMMENT_MAX,
        limits.CHANGE_REF_MAX,
    }


def test_forms_and_api_share_the_number_limits(db: Any) -> None:
    triage_form = forms.TriageForm().fields["affected_users"]
    triage_api = serializers.TriageInputSerializer().fields["affected_users"]
    create_api = serializers.IncidentCreateInputSerializer().fields["affected_users"]
    assert triage_form.max_value == triage_api.max_value == create_api.max_value
    assert triage_form.max_value == limits.AFFECTED_USERS_MAX


def test_a_two_million_character_cancel_reason_is_not_stored(
    api: Any, requester: Any, settings: Any
) -> None:
    incident = make_incident(requester)
    client = api(requester)
    too_long = client.post(f"/api/v1/incidents/{incident.pk}/cancel/", {"reason": "x" * 2001})
    assert too_long.status_code == 400
    assert too_long.json()["details"] == {
        "reason": ["Ensure this field has no more than 2000 characters."]
    }
    huge = client.post(f"/api/v1/incidents/{incident.pk}/cancel/", {"reason": "x" * 2_000_000})
    assert huge.status_code == 413  # the body alone is over REQUEST_MAX_BYTES
    incident.refresh_from_db()
    assert incident.status == "new"
    with pytest.raises(ValidationFailed, match=r"A reason has at most 2,000 characters\."):
        services.incident_cancel(incident=incident, actor=requester, reason="x" * 2001)


# --- requesters cannot probe problems ------------------------------------------------------
def test_problem_id_is_not_a_filter_for_requesters(api: Any, requester: Any, analyst: Any) -> None:
    problem = make_problem(analyst)
    client = api(requester)
    known = client.get(f"/api/v1/incidents/?problem_id={problem.pk}")
    unknown = client.get("/api/v1/incidents/?problem_id=999999")
    assert known.status_code == unknown.status_code == 400
    assert (
        known.json()
        == unknown.json()
        == {
            "code": "request.invalid",
            "message": "problem_id is not a filter requesters can use.",
            "details": {"problem_id": ["Not a filter requesters can use."]},
        }
    )
    assert api(analyst).get(f"/api/v1/incidents/?problem_id={problem.pk}").status_code == 200


# --- requesters report impact in their own words -------------------------------------------
@pytest.mark.parametrize("impact", [1, 2])
def test_requester_cannot_raise_impact_through_the_api(
    api: Any, requester: Any, impact: int
) -> None:
    response = api(requester).post(
        "/api/v1/incidents/", {"title": "All down", "impact": impact, "urgency": 1}
    )
    assert response.status_code == 400
    assert response.json()["details"] == {
        "impact": [
            "Requesters report impact 3 (some people) or 4 (just me); a higher impact, and with "
            "it priority 1, is set by the service desk when it triages the incident."
        ]
    }
    assert not Incident.objects.exists()


def test_requester_may_report_what_the_form_offers_and_analysts_anything(
    api: Any, requester: Any, analyst: Any
) -> None:
    for impact, urgency in forms.SEVERITY.values():
        body = {"title": "Slow", "impact": impact, "urgency": urgency}
        assert api(requester).post("/api/v1/incidents/", body).status_code == 201
    critical = api(analyst).post("/api/v1/incidents/", {"title": "Down", "impact": 1, "urgency": 1})
    assert critical.status_code == 201 and critical.json()["priority"] == 1


# --- assignment only to analysts -----------------------------------------------------------
def test_assigning_a_requester_to_a_teamless_incident_is_refused(
    api: Any, requester: Any, other_requester: Any, analyst: Any
) -> None:
    incident = make_incident(requester)
    assert incident.team_id is None
    response = api(analyst).post(
        f"/api/v1/incidents/{incident.pk}/assign/", {"assignee_id": other_requester.pk}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "guard_failed.incident.assign.assignee_is_analyst"
    assert response.json()["message"] == (
        "Other is not an analyst: incidents are assigned to members or leads of a team."
    )
    incident.refresh_from_db()
    assert (incident.status, incident.assignee_id, incident.events.count()) == ("new", None, 1)


def test_assigning_an_analyst_or_a_lead_is_accepted(
    requester: Any, analyst: Any, manager: Any, team: Any
) -> None:
    incident = make_incident(requester)
    assigned = services.incident_assign(incident=incident, actor=analyst, assignee=analyst)
    assert (assigned.assignee_id, assigned.team_id) == (analyst.pk, team.pk)
    led = services.incident_assign(incident=incident, actor=analyst, team=team, assignee=manager)
    assert led.assignee_id == manager.pk
    with pytest.raises(GuardFailed, match="is not an analyst"):
        services.incident_assign(incident=incident, actor=analyst, assignee=UserFactory())


# --- uploads are checked by content --------------------------------------------------------
def _zip(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, True),
        ("a.png", b"MZ\x90\x00 an executable", False),
        ("a.jpg", b"\xff\xd8\xff\xe0 jpeg", True),
        ("a.gif", b"GIF89a....", True),
        ("a.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", True),
        ("a.pdf", b"%PDF-1.7\n...", True),
        ("a.pdf", b"<html><script>alert(1)</script>", False),
        ("a.txt", "plain text, UTF-8: café".encode(), True),
        ("a.txt", b"MZ\x00\x00binary", False),
        ("a.csv", b"a,b\n1,2\n", True),
        ("a.json", b'{"a": [1, 2]}', True),
        ("a.json", b"{not json", False),
        ("a.zip", _zip("anything.txt"), True),
        ("a.zip", b"not a zip", False),
        ("a.docx", _zip("word/document.xml"), True),
        ("a.docx", _zip("evil.exe"), False),
        ("a.xlsx", _zip("xl/workbook.xml"), True),
    ],
)
def test_content_sniffing(name: str, content: bytes, ok: bool) -> None:
    import mimetypes

    mime = mimetypes.guess_type(name)[0]
    assert mime is not None
    assert content_matches(mime, io.BytesIO(content)) is ok


def test_an_executable_named_png_is_refused_and_nothing_is_stored(
    api: Any, requester: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    incident = make_incident(requester)
    fake = SimpleUploadedFile("screen.png", b"MZ\x90\x00 not an image", content_type="image/png")
    response = api(requester).post(
        f"/api/v1/incidents/{incident.pk}/attachments/", {"file": fake}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "attachment.content_mismatch",
        "message": "“screen.png” is named like a picture (PNG), but its content is not one; it "
        "was not attached.",
    }
    assert not incident.attachments.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
