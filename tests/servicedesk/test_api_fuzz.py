"""A bounded fuzz test of the whole API: schemathesis generates requests from the published
OpenAPI schema (fixed seed, a few thousand cases shared out over the operations) and sends each
with an analyst's token and a requester's token, in-process. Zero server errors are allowed."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from incidents import services as incident_services
from org.services import api_token_create
from servicedesk.wsgi import application

from ..incidents.factories import make_incident, make_problem
from ..org.factories import BusinessServiceFactory

CASES = 3_600  # "a few thousand cases" in all, each sent with both tokens, however many operations
MIN_EXAMPLES_PER_OPERATION = 12


def _schema() -> Any:
    """The published schema, generated in-process (as /api/schema/ serves it)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = application  # calls go through the WSGI app, in-process
    return loaded


OPERATIONS = [result.ok() for result in _schema().get_all_operations()]
# The budget is shared out over the operations, so the run stays bounded as the API grows.
EXAMPLES_PER_OPERATION = max(MIN_EXAMPLES_PER_OPERATION, CASES // len(OPERATIONS))


@dataclass
class World:
    tokens: dict[str, str]
    ids: dict[str, list[int]]  # real ids per path parameter, by the path's collection


@pytest.fixture
def world(
    db: Any,
    settings: Any,
    requester: Any,
    analyst: Any,
    team: Any,
    tmp_path: Any,
) -> Iterator[World]:
    settings.API_RATE_PER_TOKEN = settings.API_RATE_PER_IP = "1000000/minute"
    settings.MEDIA_ROOT = tmp_path
    # In-process calls share the test's transaction: Django must not close its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    service = BusinessServiceFactory(slug="printing", owner_team=team)
    mine = make_incident(requester, service=service)
    worked = make_incident(requester, service=service)
    incident_services.incident_assign(incident=worked, actor=analyst, assignee=analyst)
    attachment = incident_services.incident_attach(
        incident=mine,
        actor=requester,
        upload=SimpleUploadedFile("a.txt", b"text", content_type="text/plain"),
    )
    problem = make_problem(analyst)
    tokens = {
        role: f"Token {api_token_create(user=user, name='fuzz')[1]}"
        for role, user in (("analyst", analyst), ("requester", requester))
    }
    ids = {
        "incidents": [mine.pk, worked.pk],
        "attachment_id": [attachment.pk],
        "problems": [problem.pk],
        "users": [requester.pk, analyst.pk],
        "teams": [team.pk],
        "services": [service.pk],
    }
    yield World(tokens, ids)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def cases(operation: Any, ids: dict[str, list[int]]) -> Any:
    """The operation's generated cases; half of them aim at rows that exist, so the fuzzing
    reaches past the 404s into the views and services."""
    collection = operation.path.removeprefix("/api/v1/").split("/")[0]

    def aim(drawn: tuple[Any, bool, int]) -> Any:
        case, real, pick = drawn
        if real:
            for name in list(case.path_parameters or {}):
                choices = ids.get(name) or ids.get(collection)
                if choices:
                    case.path_parameters[name] = choices[pick % len(choices)]
        return case

    return st.tuples(operation.as_strategy(), st.booleans(), st.integers(0, 7)).map(aim)


@pytest.mark.parametrize(
    "operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS]
)
def test_no_server_errors(operation: Any, world: World) -> None:
    failures: list[str] = []

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,  # a fixed seed: the same cases on every run
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation, world.ids))
    def send(case: Any) -> None:
        for role, token in world.tokens.items():
            response = case.call(headers={"Authorization": token})
            if response.status_code >= 500:
                failures.append(
                    f"{role}: {response.status_code} {case.as_curl_command()}\n"
                    f"{response.text[:500]}"
                )

    send()
    assert failures == []
