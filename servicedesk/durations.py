"""Durations in words: "4 hours", "3 days", "1 day 4 hours" read and written (pure functions),
and the form field the admin uses for them."""

import re
from datetime import timedelta
from typing import Any

from django import forms

UNITS = (
    ("week", timedelta(weeks=1), ("w", "wk", "wks", "week", "weeks")),
    ("day", timedelta(days=1), ("d", "day", "days")),
    ("hour", timedelta(hours=1), ("h", "hr", "hrs", "hour", "hours")),
    ("minute", timedelta(minutes=1), ("m", "min", "mins", "minute", "minutes")),
)
_UNIT = {alias: size for _name, size, aliases in UNITS for alias in aliases}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
EXAMPLES = "“4 hours”, “3 days” or “1 day 4 hours”"


def parse_duration_words(text: str) -> timedelta:
    """ "4 hours" -> 4 h; "1 day, 4 hours" and "1d 4h" too. ``ValueError`` for anything else."""
    cleaned = (text or "").strip().lower().replace(",", " ").replace(" and ", " ")
    if not cleaned:
        raise ValueError("empty")
    total, end = timedelta(), 0
    for match in _PART.finditer(cleaned):
        if cleaned[end : match.start()].strip():
            raise ValueError(text)
        number, unit = match.groups()
        if unit not in _UNIT:
            raise ValueError(text)
        total += float(number) * _UNIT[unit]
        end = match.end()
    if end == 0 or cleaned[end:].strip():
        raise ValueError(text)
    return total


def format_duration(value: timedelta) -> str:
    """4 h -> "4 hours"; 28 h -> "1 day 4 hours"; whole weeks stay days ("14 days")."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0 minutes"
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts) or "less than a minute"


class DurationWordsField(forms.Field):
    """A duration typed as words; shown back the same way."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": f"Write a duration such as {EXAMPLES}.",
        "not_positive": "A duration is longer than zero.",
    }

    def prepare_value(self, value: Any) -> Any:
        return format_duration(value) if isinstance(value, timedelta) else value

    def to_python(self, value: Any) -> timedelta | None:
        if value in self.empty_values:
            return None
        if isinstance(value, timedelta):
            return value
        try:
            parsed = parse_duration_words(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if parsed <= timedelta():
            raise forms.ValidationError(self.error_messages["not_positive"], code="not_positive")
        return parsed
