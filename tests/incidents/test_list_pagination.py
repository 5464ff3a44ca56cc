"""Cursor pages for the API lists, keyset pages for the queue tabs, bounded totals and search
(issue 9)."""

from typing import Any

import pytest

from incidents import services
from servicedesk import pagination

from .factories import make_incident

pytestmark = pytest.mark.django_db

LIST = "/api/v1/incidents/"


@pytest.fixture
def tickets(requester: Any, analyst: Any, team: Any) -> list[Any]:
    """13 incidents: priorities and due times repeat, so ties must be broken by the id."""
    made = []
    for i in range(13):
        incident = make_incident(requester, title=f"Printer jam {i}", impact=1 + i % 3)
        if i % 2:
            services.incident_assign(incident=incident, actor=analyst, team=team)
        made.append(incident)
    return made


def walk(client: Any, url: str, link: str = "next") -> tuple[list[int], list[dict[str, Any]]]:
    ids: list[int] = []
    bodies = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        ids += [row["id"] for row in body["results"]]
        url = body[link] and body[link].split("testserver", 1)[1]
    return ids, bodies


@pytest.mark.parametrize(
    "ordering",
    [
        "",
        "created",
        "-created",
        "priority",
        "-priority",
        "due",
        "-due",
        "updated",
        "-updated",
        "status",
        "-status",
    ],
)
def test_every_ordering_pages_through_every_row_once_forwards_and_back(
    tickets: Any, api: Any, analyst: Any, ordering: str
) -> None:
    client = api(analyst)
    query = f"?ordering={ordering}&page_size=4" if ordering else "?page_size=4"
    whole = [row["id"] for row in client.get(f"{LIST}{query}&page_size=50").json()["results"]]
    assert sorted(whole) == sorted(t.pk for t in tickets)
    ids, bodies = walk(client, f"{LIST}{query}")
    assert ids == whole  # the same order, nothing repeated or skipped
    assert len(bodies) == 4 and bodies[0]["previous"] is None and bodies[-1]["next"] is None
    assert all("cursor=" in b["next"] for b in bodies[:-1])
    assert all(b["count"] == 13 and b["count_capped"] is False for b in bodies)
    # back from the last page by the previous links
    pages_back = []
    url = bodies[-1]["previous"].split("testserver", 1)[1]
    while url:
        body = client.get(url).json()
        pages_back.insert(0, [row["id"] for row in body["results"]])
        url = body["previous"] and body["previous"].split("testserver", 1)[1]
    assert [pk for page in pages_back for pk in page] == whole[:12]


def test_a_row_created_while_paging_is_neither_repeated_nor_skipped(
    tickets: Any, api: Any, analyst: Any, requester: Any
) -> None:
    client = api(analyst)
    first = client.get(f"{LIST}?page_size=5").json()
    make_incident(requester, title="Arrived meanwhile")  # newest: before the cursor
    rest, _ = walk(client, first["next"].split("testserver", 1)[1])
    seen = [row["id"] for row in first["results"]] + rest
    assert sorted(seen) == sorted(t.pk for t in tickets)


def test_a_cursor_that_is_not_one_or_fits_another_ordering_is_refused(
    tickets: Any, api: Any, analyst: Any
) -> None:
    client = api(analyst)
    response = client.get(f"{LIST}?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid_cursor"
    assert response.json()["message"] == (
        "This cursor is not valid: follow the next or previous link of a list."
    )
    nxt = client.get(f"{LIST}?ordering=priority&page_size=3").json()["next"]
    cursor = nxt.split("cursor=", 1)[1].split("&", 1)[0]
    response = client.get(f"{LIST}?ordering=-due&cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "This cursor belongs to another ordering or filter: start again from the first page."
    )


def test_page_numbers_are_gone(tickets: Any, api: Any, analyst: Any) -> None:
    response = api(analyst).get(f"{LIST}?page=2")
    assert response.status_code == 400
    assert response.json()["code"] == "request.unknown_parameters"


def test_the_total_stops_counting_at_the_limit(
    tickets: Any, api: Any, analyst: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 10)
    body = api(analyst).get(LIST).json()
    assert (body["count"], body["count_capped"]) == (10, True)
    body = api(analyst).get(f"{LIST}?status=assigned").json()
    assert (body["count"], body["count_capped"]) == (6, False)


def test_a_deep_page_costs_the_queries_of_the_first(
    tickets: Any, api: Any, analyst: Any, django_assert_num_queries: Any
) -> None:
    client = api(analyst)
    first = client.get(f"{LIST}?page_size=2")
    deep = first.json()["next"].split("testserver", 1)[1]
    for _ in range(4):
        deep = client.get(deep).json()["next"].split("testserver", 1)[1]
    # the bounded count, the page's ids, its rows, their people (batched, not joined); the user
    # is already known to the client
    with django_assert_num_queries(4):
        assert client.get(f"{LIST}?page_size=2").status_code == 200
    with django_assert_num_queries(4):
        assert client.get(deep).status_code == 200


# --- the queue tabs: keyset pages (?after= / ?before=) ------------------------------------------
def test_queue_pages_by_keyset(tickets: Any, client: Any, analyst: Any) -> None:
    client.force_login(analyst)
    first = client.get("/queue/all/?page_size=5")
    text = first.content.decode()
    assert "13 in all" in text and "Next →" in text and "← Previous" not in text
    rows: list[Any] = list(first.context["page"].object_list)
    url = f"/queue/all/?page_size=5&after={first.context['page'].next_token}"
    while url:
        page = client.get(url).context["page"]
        rows += page.object_list
        url = page.next_token and f"/queue/all/?page_size=5&after={page.next_token}"
    assert sorted(r.pk for r in rows) == sorted(t.pk for t in tickets)
    assert len({r.pk for r in rows}) == 13
    last = client.get(f"/queue/all/?page_size=5&after={first.context['page'].next_token}")
    back = client.get(f"/queue/all/?page_size=5&before={last.context['page'].previous_token}")
    assert [r.pk for r in back.context["page"].object_list] == [
        r.pk for r in first.context["page"].object_list
    ]


def _walk_pages(client: Any, base: str) -> list[Any]:
    """Every row of a keyset-paged page, following its ``after=`` links (``base`` has a query)."""
    rows: list[Any] = []
    url = base
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = response.context["page"]
        rows += page.object_list
        url = page.next_token and f"{base}&after={page.next_token}"
    return rows


def test_my_tickets_problems_and_known_errors_page_by_keyset(
    tickets: Any, client: Any, requester: Any, analyst: Any
) -> None:
    from .factories import make_problem

    client.force_login(requester)
    first = client.get("/incidents/mine/?page_size=5")
    assert "13 in all" in first.content.decode() and "after=" in first.content.decode()
    mine = _walk_pages(client, "/incidents/mine/?page_size=5")
    assert [r.pk for r in mine] == sorted((t.pk for t in tickets), reverse=True)  # newest first
    problems = [make_problem(analyst, title=f"Problem {k}") for k in range(7)]
    for problem in problems:
        services.problem_publish_workaround(problem=problem, actor=analyst, workaround="Reboot.")
    client.force_login(analyst)
    listed = _walk_pages(client, "/problems/?page_size=3")
    assert [p.pk for p in listed] == [p.pk for p in reversed(problems)]
    known = _walk_pages(client, "/known-errors/?page_size=3")
    assert [p.pk for p in known] == [p.pk for p in reversed(problems)]
    assert client.get("/problems/?after=garbage").status_code == 400


def test_a_broken_queue_page_link_is_a_400_with_a_message(
    tickets: Any, client: Any, analyst: Any
) -> None:
    client.force_login(analyst)
    response = client.get("/queue/all/?after=garbage")
    assert response.status_code == 400
    assert "This cursor is not valid" in response.content.decode()


def test_queue_shows_a_capped_total(
    tickets: Any, client: Any, analyst: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 10)
    client.force_login(analyst)
    assert "10+ in all" in client.get("/queue/all/").content.decode()


# --- search ----------------------------------------------------------------------------------
def test_search_finds_title_description_and_public_comments_not_internal_notes(
    requester: Any, analyst: Any, api: Any
) -> None:
    by_title = make_incident(requester, title="Monitor flickers", description="")
    by_text = make_incident(requester, title="Screen issue", description="the monitor flickers")
    by_comment = make_incident(requester, title="Display", description="")
    services.incident_comment(incident=by_comment, actor=requester, body="Monitor flickers again")
    by_note = make_incident(requester, title="Other", description="")
    services.incident_comment(
        incident=by_note, actor=analyst, body="monitor flickers (internal)", internal=True
    )
    make_incident(requester, title="Keyboard", description="stuck key")
    found = {row["id"] for row in api(analyst).get(f"{LIST}?q=monitor flickers").json()["results"]}
    assert found == {by_title.pk, by_text.pk, by_comment.pk}
    # an edited title is found at once
    services.incident_edit(incident=by_note, actor=analyst, title="Monitor flickers in room 2")
    found = {row["id"] for row in api(analyst).get(f"{LIST}?q=monitor flickers").json()["results"]}
    assert by_note.pk in found


def test_search_is_ranked_when_few_match(
    requester: Any, analyst: Any, api: Any, require_postgres: Any
) -> None:
    weak = make_incident(requester, title="Laptop", description="vpn mentioned once")
    strong = make_incident(requester, title="VPN down", description="vpn vpn client fails")
    results = api(analyst).get(f"{LIST}?q=vpn").json()["results"]
    assert [row["id"] for row in results] == [strong.pk, weak.pk]


def _search_counts(client: Any, url: str) -> tuple[dict[str, Any], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        body = client.get(url).json()
    counts = [q for q in ctx.captured_queries if "COUNT(*)" in q["sql"] and "@@" in q["sql"]]
    return body, len(counts)


def test_a_search_counts_its_matches_once(
    requester: Any, analyst: Any, team: Any, api: Any, require_postgres: Any, monkeypatch: Any
) -> None:
    """The count that chooses ranked or newest-first is the page's total too: one scan of the
    search index, not two. A filter after the search still gets its own, correct count."""
    from incidents import search

    assigned = []
    for k in range(4):
        incident = make_incident(requester, title=f"VPN drops {k}", description="vpn")
        if k % 2:
            services.incident_assign(incident=incident, actor=analyst, team=team, assignee=analyst)
            assigned.append(incident.pk)
    make_incident(requester, title="Printer", description="toner")
    client = api(analyst)
    # few matches: ranked, and the total is the ranking's count
    body, counts = _search_counts(client, f"{LIST}?q=vpn")
    assert (body["count"], body["count_capped"], counts) == (4, False, 1)
    # many matches (more than RANKED_MAX): newest first, the total capped, still one count
    monkeypatch.setattr(search, "RANKED_MAX", 2)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 2)
    body, counts = _search_counts(client, f"{LIST}?q=vpn")
    assert (body["count"], body["count_capped"], counts) == (2, True, 1)
    assert [row["id"] for row in body["results"]][:2] == sorted(
        [row["id"] for row in body["results"]], reverse=True
    )[:2]
    # a filter besides the search: the total counts what both select
    monkeypatch.setattr(search, "RANKED_MAX", 1000)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 1000)
    body, _ = _search_counts(client, f"{LIST}?q=vpn&status=assigned")
    assert body["count"] == 2 and {row["id"] for row in body["results"]} == set(assigned)
