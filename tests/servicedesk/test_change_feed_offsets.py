"""The change feed takes any ISO 8601 offset: PostgreSQL refuses offsets past 15:59 in a
literal, so the cursor is compared in UTC (found by the API fuzz test)."""

from typing import Any

import pytest
from django.test import Client


@pytest.mark.parametrize(
    "since",
    ["0932-12-21T15:04:49.0-17:34", "0001-01-01T00:00:00+23:00", "2020-01-01T00:00:00-23:59"],
)
def test_change_feed_with_a_far_offset_answers(
    db: Any, settings: Any, analyst: Any, since: str
) -> None:
    settings.CHANGE_FEED_SETTLE_SECONDS = 0
    client = Client()
    client.force_login(analyst)
    response = client.get("/api/v1/users/", {"updated_after": since, "after_id": "120"})
    assert response.status_code == 200
    assert [row["username"] for row in response.json()["results"]] == ["analyst"]
