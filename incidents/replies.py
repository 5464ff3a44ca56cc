"""Canned-reply placeholders: which exist, and filling them in for one ticket (pure functions)."""

import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDERS: dict[str, str] = {
    "requester_first_name": "the requester's first name",
    "requester_name": "the requester's full name",
    "reference": "the ticket reference, e.g. INC-000123",
    "title": "the ticket's title",
    "analyst_name": "your name",
    "analyst_first_name": "your first name",
    "team_name": "the ticket's team",
}
_TOKEN = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def unknown_placeholders(body: str) -> list[str]:
    return sorted({m.group(1) for m in _TOKEN.finditer(body)} - PLACEHOLDERS.keys())


def first_name(user: Any) -> str:
    return (user.first_name or user.name.split(" ")[0]).strip()


def values_for(incident: Any, analyst: Any) -> dict[str, str]:
    return {
        "requester_first_name": first_name(incident.requester),
        "requester_name": incident.requester.name,
        "reference": incident.ref,
        "title": incident.title,
        "analyst_name": analyst.name,
        "analyst_first_name": first_name(analyst),
        "team_name": incident.team.name if incident.team_id else "the service desk",
    }


def fill(body: str, values: Mapping[str, str]) -> str:
    """Replace known ``{placeholders}``; anything else in braces is left as written."""
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), body)
