"""Checking an upload by its content: the bytes must be what the name and the declared type
say (a ``.png`` that is an executable, a ``.pdf`` that is HTML, a ``.docx`` that is any zip are
refused). Pure functions over a seekable file; the attach service calls ``content_matches``."""

import codecs
import json
import zipfile
from collections.abc import Callable
from typing import IO

HEAD = 64 * 1024


def _starts(*magic: bytes) -> Callable[[bytes, IO[bytes]], bool]:
    return lambda head, _file: head.startswith(magic)


def _webp(head: bytes, _file: IO[bytes]) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _pdf(head: bytes, _file: IO[bytes]) -> bool:
    return b"%PDF-" in head[:1024]


def _text(head: bytes, _file: IO[bytes]) -> bool:
    """UTF-8 (or plain ASCII) text without NUL bytes; the head may end mid-character."""
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _json(head: bytes, file: IO[bytes]) -> bool:
    try:
        json.loads(file.read())
    except (ValueError, RecursionError):
        return False
    return True


def _zip_with(member: str | None) -> Callable[[bytes, IO[bytes]], bool]:
    def check(head: bytes, file: IO[bytes]) -> bool:
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return False
        if member is None:
            return True
        try:
            with zipfile.ZipFile(file) as archive:
                return member in archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False

    return check


CHECKS: dict[str, Callable[[bytes, IO[bytes]], bool]] = {
    "image/png": _starts(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": _starts(b"\xff\xd8\xff"),
    "image/gif": _starts(b"GIF87a", b"GIF89a"),
    "image/webp": _webp,
    "application/pdf": _pdf,
    "text/plain": _text,
    "text/csv": _text,
    "application/json": _json,
    "application/zip": _zip_with(None),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _zip_with(
        "word/document.xml"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _zip_with(
        "xl/workbook.xml"
    ),
}


def content_matches(content_type: str, file: IO[bytes]) -> bool:
    """Whether the file's bytes are of ``content_type``. A type without a known signature
    (one an operator added to ATTACHMENT_TYPES) passes. The file is rewound afterwards."""
    check = CHECKS.get(content_type)
    if check is None:
        return True
    file.seek(0)
    head = file.read(HEAD)
    file.seek(0)
    try:
        return check(head, file)
    finally:
        file.seek(0)
