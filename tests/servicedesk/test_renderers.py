"""The API's JSON (servicedesk.renderers): byte for byte what DRF's renderer writes, encoded by
orjson; what orjson would write differently goes through DRF."""

import datetime
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers

from servicedesk.renderers import JSONRenderer

DRF = renderers.JSONRenderer()
OURS = JSONRenderer()

SAMPLES: list[Any] = [
    {"id": 1, "title": "Printer jams", "ok": True, "none": None, "tags": ["a", "b"], "n": 0.5},
    {"text": 'Grüße, 日本語, emoji 🖨️, quote " and backslash \\ and\ttab\nnewline'},
    {"separators": "line\u2028paragraph\u2029end"},  # escaped, as DRF escapes them
    {"at": datetime.datetime(2026, 12, 7, 15, 4, 5, 123456, tzinfo=datetime.UTC)},
    {
        "day": datetime.date(2026, 12, 7),
        "time": datetime.time(9, 30),
        "span": datetime.timedelta(hours=2),
    },
    {"money": Decimal("12.50"), "ref": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"lazy": gettext_lazy("Open"), "nested": {"list": [{"deep": [1, 2, {"x": None}]}]}},
    {1: "integer keys", None: "a null key"},  # orjson refuses: DRF renders it
    {"big": 2**70},  # over 64 bits: DRF renders it
    [],
    "a bare string",
]


@pytest.mark.parametrize("data", SAMPLES, ids=range(len(SAMPLES)))
def test_the_bytes_are_drfs(data: Any) -> None:
    assert OURS.render(data) == DRF.render(data)


def test_indented_and_empty_responses_are_drfs() -> None:
    data = {"results": [{"id": 1}], "count": 1}
    indented = "application/json; indent=4"
    assert OURS.render(data, indented) == DRF.render(data, indented) != DRF.render(data)
    assert OURS.render(None) == DRF.render(None) == b""


def test_floats_are_the_same_numbers() -> None:
    data = {"values": [0.1, 1e-05, 1e16, 123.456, -0.0, 2.5e-300]}
    assert json.loads(OURS.render(data)) == json.loads(DRF.render(data))


@pytest.mark.django_db
def test_an_api_list_answers_drfs_bytes(api: Any, analyst: Any, requester: Any) -> None:
    from incidents import services

    for title in ("Printer jams", "VPN drops — “quoted”", "Wi-Fi\u2028slow"):
        services.incident_create(actor=requester, requester=requester, title=title, description="x")
    response = api(analyst).get("/api/v1/incidents/")
    assert response.status_code == 200
    assert type(response.accepted_renderer) is JSONRenderer  # the setting names it
    assert response.content == DRF.render(response.data)
    assert b"\\u2028" in response.content
