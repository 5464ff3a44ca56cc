"""The filters every metric takes: a period (local dates in a time zone), service, team,
priority and the trend bucket. One form serves the pages and the API."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q

from incidents.choices import Priority
from org.models import BusinessService, Team
from servicedesk import clock

MAX_PERIOD_DAYS = 732
DEFAULT_PERIOD_DAYS = 30
EARLIEST = date(1970, 1, 1)
LATEST = date(2200, 12, 31)
BUCKETS = (("week", "Week"), ("month", "Month"))


@dataclass(frozen=True)
class MetricFilters:
    """``start``/``end`` are the UTC instants of local midnight at the first day and after
    the last day: ``[start, end)``. A period in Europe/Berlin is not the same as in UTC."""

    start_date: date
    end_date: date
    tz: str
    start: datetime
    end: datetime
    service_id: int | None = None
    team_id: int | None = None
    priority: int | None = None
    bucket: str = "week"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def scope(self, service: str, team: str, priority: str) -> Q:
        """The service / team / priority filters on the given lookups (a fact table's own
        columns, or the incident's through a relation)."""
        q = Q()
        for lookup, value in (
            (service, self.service_id),
            (team, self.team_id),
            (priority, self.priority),
        ):
            if value is not None:
                q &= Q(**{lookup: value})
        return q

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat(),
            "tz": self.tz,
            "service_id": self.service_id,
            "team_id": self.team_id,
            "priority": self.priority,
            "bucket": self.bucket,
        }

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.as_dict().items() if v is not None})


def local_midnight(day: date, tz: str) -> datetime:
    """The first instant of a local day, as UTC (a midnight inside a DST gap maps forward)."""
    zone = zoneinfo.ZoneInfo(tz)
    naive = datetime.combine(day, time(0, 0))
    moment = naive.replace(tzinfo=zone)
    # round-trip: a non-existent local time is moved past the gap
    back = moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        moment = (naive + (naive - back)).replace(tzinfo=zone)
    return moment.astimezone(UTC)


def make_filters(
    *,
    start_date: date | None = None,
    end_date: date | None = None,
    tz: str = "UTC",
    service_id: int | None = None,
    team_id: int | None = None,
    priority: int | None = None,
    bucket: str = "week",
) -> MetricFilters:
    today = clock.now().astimezone(zoneinfo.ZoneInfo(tz)).date()
    end_date = end_date or today
    start_date = start_date or end_date - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return MetricFilters(
        start_date=start_date,
        end_date=end_date,
        tz=tz,
        start=local_midnight(start_date, tz),
        end=local_midnight(end_date + timedelta(days=1), tz),
        service_id=service_id,
        team_id=team_id,
        priority=priority,
        bucket=bucket,
    )


class MetricsFilterForm(forms.Form):
    start = forms.DateField(required=False, label="From", help_text="First day (local date).")
    end = forms.DateField(required=False, label="To", help_text="Last day, included.")
    tz = forms.CharField(required=False, label="Time zone", max_length=64)
    service_id = forms.ModelChoiceField(
        BusinessService.objects.all(), required=False, label="Service", empty_label="All"
    )
    team_id = forms.ModelChoiceField(
        Team.objects.all(), required=False, label="Team", empty_label="All"
    )
    priority = forms.TypedChoiceField(
        choices=[("", "All"), *Priority.choices], coerce=int, required=False, empty_value=None
    )
    bucket = forms.ChoiceField(choices=BUCKETS, required=False, label="Trend by")

    def __init__(self, *args: Any, default_tz: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_tz = default_tz
        for name in ("start", "end"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})

    def clean_tz(self) -> str:
        value = (self.cleaned_data.get("tz") or "").strip() or self.default_tz
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(f"Unknown time zone {value!r}.")
        return value

    def _clean_day(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(f"Give a date between {EARLIEST} and {LATEST}.")
        return value

    def clean_start(self) -> date | None:
        return self._clean_day("start")

    def clean_end(self) -> date | None:
        return self._clean_day("end")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The period must end on or after its first day.")
            if (end - start).days + 1 > MAX_PERIOD_DAYS:
                raise forms.ValidationError(f"A period has at most {MAX_PERIOD_DAYS} days.")
        if start and not end and (clock.now().date() - start).days + 1 > MAX_PERIOD_DAYS:
            raise forms.ValidationError(f"A period has at most {MAX_PERIOD_DAYS} days.")
        return data

    def filters(self) -> MetricFilters:
        data = self.cleaned_data
        service = data.get("service_id")
        team = data.get("team_id")
        tz = data.get("tz") or self.default_tz
        start, end = data.get("start"), data.get("end")
        if start and not end:
            end = max(start, clock.now().astimezone(zoneinfo.ZoneInfo(tz)).date())
        if end and not start:
            start = end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return make_filters(
            start_date=start,
            end_date=end,
            tz=tz,
            service_id=service.pk if service else None,
            team_id=team.pk if team else None,
            priority=data.get("priority"),
            bucket=data.get("bucket") or "week",
        )
