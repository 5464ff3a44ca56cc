"""The schedule's two refusals, as reads: freeze windows and conflicting changes that overlap a
change's planned window on the same services (or, for a freeze with no services, on all)."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import BOOKED_STATUSES
from .models import Change, FreezeWindow


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: one ending when the other starts does not overlap."""
    return a_start < b_end and b_start < a_end


def freezes_over(
    *, start: datetime, end: datetime, service_ids: Iterable[int]
) -> QuerySet[FreezeWindow]:
    ids = list(service_ids)
    return (
        FreezeWindow.objects.filter(is_active=True, starts_at__lt=end, ends_at__gt=start)
        .filter(Q(services__isnull=True) | Q(services__in=ids))
        .distinct()
        .prefetch_related("services")
        .order_by("starts_at", "pk")
    )


def conflicts_with(
    *, start: datetime, end: datetime, service_ids: Iterable[int], exclude_pk: int | None = None
) -> QuerySet[Change]:
    ids = list(service_ids)
    if not ids:
        return Change.objects.none()
    qs = Change.objects.filter(
        status__in=BOOKED_STATUSES,
        planned_start__lt=end,
        planned_end__gt=start,
        services__in=ids,
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return Change.objects.filter(pk__in=qs.values("pk")).order_by("planned_start", "pk")


def when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%a %d %b %Y %H:%M")
