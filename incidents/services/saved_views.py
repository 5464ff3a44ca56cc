"""Saved queue views: an analyst's own named tab + filters + sort."""

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from incidents import access, selectors
from incidents.models import SavedView
from incidents.models.saved_views import SAVED_VIEW_NAME_MAX, SAVED_VIEWS_PER_USER
from org.models import User
from servicedesk.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

# The queue's filters, as the queue page's query string names them.
FILTER_KEYS = (
    "q",
    "status",
    "priority",
    "team_id",
    "assignee_id",
    "service_id",
    "older_than_days",
    "page_size",
)


def clean_view(*, tab: str, filters: Mapping[str, Any], ordering: str) -> dict[str, Any]:
    """Check a view the same way the queue page checks its query string."""
    from incidents.forms import QueueFilterForm

    if tab not in selectors.QUEUES:
        raise ValidationFailed(
            f"Unknown tab {tab!r}; choose one of: {', '.join(selectors.QUEUES)}.",
            details={"tab": ["unknown"]},
        )
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise ValidationFailed(
            "Unknown filters: " + ", ".join(unknown) + ".",
            details={"filters": {k: ["Unknown filter."] for k in unknown}},
        )
    values = {k: str(v) for k, v in filters.items() if v not in (None, "")}
    form = QueueFilterForm(values)
    if not form.is_valid():
        raise ValidationFailed(
            "Some filters are not valid.", details={"filters": form.errors.get_json_data()}
        )
    if ordering and ordering not in selectors.QUEUE_ORDERINGS:
        known = ", ".join(sorted(selectors.QUEUE_ORDERINGS))
        raise ValidationFailed(
            f"Unknown sort {ordering!r}; choose one of: {known}.",
            details={"ordering": ["unknown"]},
        )
    return {"tab": tab, "filters": values, "ordering": ordering}


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the view a name.", details={"name": ["required"]})
    if len(name) > SAVED_VIEW_NAME_MAX:
        raise ValidationFailed(
            f"A view's name has at most {SAVED_VIEW_NAME_MAX} characters.",
            details={"name": ["too long"]},
        )
    return name


def saved_view_create(
    *, actor: User, name: str, tab: str, filters: Mapping[str, Any], ordering: str = ""
) -> SavedView:
    if not access.is_agent(actor):
        raise PermissionDenied("Saved views are for analysts and managers.")
    name = _name(name)
    view = clean_view(tab=tab, filters=filters, ordering=ordering)
    with transaction.atomic():
        if SavedView.objects.filter(owner=actor).count() >= SAVED_VIEWS_PER_USER:
            raise ValidationFailed(
                f"You have {SAVED_VIEWS_PER_USER} saved views already; delete one first."
            )
        try:
            with transaction.atomic():
                return SavedView.objects.create(owner=actor, name=name, **view)
        except IntegrityError:
            raise Conflict(
                f"You already have a view called “{name}”.", code="saved_view.duplicate_name"
            ) from None


def _own(actor: User, view: SavedView | int) -> SavedView:
    pk = view.pk if isinstance(view, SavedView) else view
    found = SavedView.objects.select_for_update().filter(owner=actor, pk=pk).first()
    if found is None:
        raise NotFound("No such saved view.")
    return found


def saved_view_update(
    *,
    actor: User,
    view: SavedView | int,
    name: str | None = None,
    tab: str | None = None,
    filters: Mapping[str, Any] | None = None,
    ordering: str | None = None,
) -> SavedView:
    with transaction.atomic():
        found = _own(actor, view)
        if name is not None:
            found.name = _name(name)
        cleaned = clean_view(
            tab=found.tab if tab is None else tab,
            filters=found.filters if filters is None else filters,
            ordering=found.ordering if ordering is None else ordering,
        )
        for field, value in cleaned.items():
            setattr(found, field, value)
        try:
            with transaction.atomic():
                found.save(update_fields=["name", "tab", "filters", "ordering"])
        except IntegrityError:
            raise Conflict(
                f"You already have a view called “{found.name}”.", code="saved_view.duplicate_name"
            ) from None
    return found


def saved_view_delete(*, actor: User, view: SavedView | int) -> None:
    with transaction.atomic():
        _own(actor, view).delete()
