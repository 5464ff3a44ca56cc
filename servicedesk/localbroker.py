"""The embedded broker of ``make run`` and ``make test`` (no Redis): kombu's file-system
transport, with each message written whole before a worker can take it.

kombu's own ``_put`` creates the message file under its final name and then writes it; a worker
polling the folder moves and reads any file with that name, so it could take a message still
empty and die on it (``JSONDecodeError``: "Unrecoverable error", the worker stops). Here the
message is written under a name the worker does not take (a leading dot: no queue's
``<queue>.msg`` suffix) and renamed to its final name once complete; a rename within a folder
is atomic, so a worker sees the whole message or nothing. ``servicedesk.celery`` names this
transport for ``filesystem://`` URLs."""

import os
import uuid
from time import monotonic_ns
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]  # as kombu's stub
        """Put ``payload`` onto ``queue``: written aside, then renamed into the queue."""
        # in the order put (the worker takes them sorted by name): nanoseconds, zero-padded
        name = f"{monotonic_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
