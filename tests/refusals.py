"""``with refused(Kind, "The whole sentence."):`` — a refusal and exactly what a person reads."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def refused(kind: type[Exception], message: str) -> Iterator[Any]:
    with pytest.raises(kind) as caught:
        yield caught
    assert getattr(caught.value, "message", str(caught.value)) == message
