"""File types in the words people use ("pictures (PNG, JPEG)", "Word documents"), never MIME
types. Pure functions over the configured ``ATTACHMENT_TYPES``."""

import mimetypes
from collections.abc import Iterable

# MIME type -> (kind, format); the same kind groups its formats: "pictures (PNG or JPEG)".
KINDS: dict[str, tuple[str, str]] = {
    "image/png": ("pictures", "PNG"),
    "image/jpeg": ("pictures", "JPEG"),
    "image/gif": ("pictures", "GIF"),
    "image/webp": ("pictures", "WebP"),
    "image/heic": ("pictures", "HEIC"),
    "image/bmp": ("pictures", "BMP"),
    "application/pdf": ("PDF documents", ""),
    "text/plain": ("text files", ""),
    "text/csv": ("CSV files", ""),
    "application/zip": ("ZIP archives", ""),
    "application/json": ("JSON files", ""),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "Word documents",
        "",
    ),
    "application/msword": ("Word documents", ""),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "Excel workbooks",
        "",
    ),
    "application/vnd.ms-excel": ("Excel workbooks", ""),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "PowerPoint presentations",
        "",
    ),
    "text/html": ("web pages", ""),
    "application/x-msdownload": ("programs", ""),
    "application/x-msdos-program": ("programs", ""),
}


def _fallback(mime: str) -> tuple[str, str]:
    extension = mimetypes.guess_extension(mime) or ""
    return (f"{extension.lstrip('.').upper()} files" if extension else "other files", "")


def join_words(items: list[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def describe(mime: str | None) -> str:
    """One type in words: "a picture (PNG)", "a PDF document", "a web page"."""
    if not mime:
        return "a file of unknown kind"
    kind, fmt = KINDS.get(mime, _fallback(mime))
    singular = kind[:-1] if kind.endswith("s") else kind
    singular = singular.replace(" files", " file")
    article = "an" if singular[:1].lower() in "aeiou" else "a"
    return f"{article} {singular}" + (f" ({fmt})" if fmt else "")


def allowed_in_words(allowed: Iterable[str]) -> str:
    """ "pictures (PNG, JPEG or GIF), PDF documents and Word documents"."""
    groups: dict[str, list[str]] = {}
    for mime in allowed:
        kind, fmt = KINDS.get(mime, _fallback(mime))
        formats = groups.setdefault(kind, [])
        if fmt and fmt not in formats:
            formats.append(fmt)
    parts = [
        f"{kind} ({join_words(fmts, 'or')})" if fmts else kind for kind, fmts in groups.items()
    ]
    return join_words(parts)
