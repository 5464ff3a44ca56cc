"""Incident search: PostgreSQL full-text search over the reference, title, description and
public comments, with a plain ``icontains`` fallback over the same text elsewhere (SQLite).

Each incident stores its search document (``Incident.search_document``, a ``tsvector`` with a
GIN index, migration 0013): reference and title weigh most (A), then the description (B),
then the public comments (C). The services that change any of those call
``incident_search_refresh`` in their transaction, so the document is never stale; internal
notes never enter it (requesters search too).

Order: a search that matches at most ``RANKED_MAX`` incidents is ranked (``SearchRank``, best
first); a broader one lists newest first, which an index serves however many rows match (a
ranking would have to score every match first: seconds at a million)."""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, QuerySet

from servicedesk.pagination import bounded_count, remember_bounded_count

from .models import Incident

CONFIG = "english"  # the text search configuration (also in DOCUMENT_SQL)
RANKED_MAX = 1000

DOCUMENT_SQL = """
UPDATE incidents_incident AS i SET search_document =
    setweight(to_tsvector('simple', 'INC-' || lpad(i.id::text, 6, '0')), 'A')
    || setweight(to_tsvector('english', i.title), 'A')
    || setweight(to_tsvector('english', i.description), 'B')
    || setweight(to_tsvector('english', coalesce((
        SELECT string_agg(c.body, ' ' ORDER BY c.id) FROM incidents_incidentcomment c
        WHERE c.incident_id = i.id AND NOT c.is_internal), '')), 'C')
"""


# SQLite: the same words as plain lower-case text (the fallback's ``icontains`` reads it)
PLAIN_DOCUMENT_SQL = """
UPDATE incidents_incident SET search_document = lower(
    title || ' ' || description || ' ' || coalesce((
        SELECT group_concat(c.body, ' ') FROM incidents_incidentcomment c
        WHERE c.incident_id = incidents_incident.id AND NOT c.is_internal), ''))
"""


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def incident_search_refresh(*, incident_ids: Iterable[int]) -> None:
    """Recompute the search documents of these incidents, in one UPDATE. Called by the
    services that change a title, a description or the public comments."""
    ids = [int(pk) for pk in incident_ids]
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    if uses_full_text():
        sql = f"{DOCUMENT_SQL} WHERE i.id IN ({marks})"
    else:
        sql = f"{PLAIN_DOCUMENT_SQL} WHERE id IN ({marks})"
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)


def search(queryset: QuerySet[Incident], text: str) -> QuerySet[Incident]:
    """The incidents matching ``text`` (every word, web-search syntax: "quoted phrase",
    -word, or), ranked when few match (see the module docstring)."""
    if not uses_full_text():
        return queryset.filter(search_document__icontains=text)
    query = SearchQuery(text, config=CONFIG, search_type="websearch")
    matches = queryset.filter(search_document=query)
    # How many match (up to RANKED_MAX + 1) chooses the order; the page's total is the same
    # count, so it is remembered rather than made again (each is a scan of the GIN index: 8 ms
    # for two common words at 1,000,000 incidents).
    found, broad = bounded_count(matches, RANKED_MAX)
    if broad:
        remember_bounded_count(matches, RANKED_MAX, RANKED_MAX + 1)
        return matches
    ranked = matches.annotate(rank=SearchRank(F("search_document"), query)).order_by("-rank", "-pk")
    remember_bounded_count(ranked, RANKED_MAX, found)
    return ranked
