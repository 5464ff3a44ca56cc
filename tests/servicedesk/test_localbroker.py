"""The embedded broker (servicedesk.localbroker): a worker takes a message whole or not at all.
kombu's own file-system transport created the message file and then wrote it, and a worker
that took it in between died on the empty file ("Unrecoverable error: JSONDecodeError")."""

import os
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
from kombu import Connection

from servicedesk import localbroker


def channel_in(folder: Path) -> Any:
    connection = Connection(
        "filesystem://",
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "store_processed": False,
        },
    )
    return connection.default_channel


def test_a_message_is_seen_only_once_written_whole(tmp_path: Path, monkeypatch: Any) -> None:
    channel = channel_in(tmp_path)
    seen_while_writing: list[str] = []
    rename = os.replace

    def replace(src: str, dst: str) -> None:
        # the message is written, not yet in place: a worker polling now finds nothing
        assert Path(src).read_bytes()
        try:
            channel._get("default")
            seen_while_writing.append("taken")
        except Empty:
            seen_while_writing.append("nothing")
        rename(src, dst)

    monkeypatch.setattr(localbroker.os, "replace", replace)
    channel._put("default", {"body": "hello", "n": 1})
    assert seen_while_writing == ["nothing"]
    assert [p.name.endswith(".default.msg") for p in tmp_path.iterdir()] == [True]
    assert channel._get("default") == {"body": "hello", "n": 1}
    with pytest.raises(Empty):
        channel._get("default")


def test_messages_keep_their_order_and_queue(tmp_path: Path) -> None:
    channel = channel_in(tmp_path)
    for n in range(3):
        channel._put("default", {"n": n})
    channel._put("routing", {"n": "other"})
    assert [channel._get("default")["n"] for _ in range(3)] == [0, 1, 2]
    assert channel._get("routing") == {"n": "other"}


def test_a_folder_it_cannot_write_is_a_clear_error(tmp_path: Path) -> None:
    from kombu.exceptions import ChannelError

    channel = channel_in(tmp_path)
    channel.data_folder_out = str(tmp_path / "missing")
    with pytest.raises(ChannelError, match="Cannot add file"):
        channel._put("default", {"n": 1})


def test_filesystem_urls_reach_it_and_other_urls_their_own() -> None:
    from servicedesk.celery import app

    for url, transport in (
        ("filesystem://", localbroker.Transport),
        ("redis://127.0.0.1:6379/0", None),
    ):
        with app.connection_for_write(url) as connection:
            if transport is not None:
                assert isinstance(connection.transport, transport)
            else:
                assert not isinstance(connection.transport, localbroker.Transport)
                assert connection.transport.driver_type == "redis"
