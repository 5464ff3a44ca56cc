from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def eager(settings: Any) -> Iterator[None]:
    """Tasks scheduled on commit run at once, in-process (the chain without a broker)."""
    from servicedesk.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.SITE_URL = "http://desk.example.com:8123"
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
