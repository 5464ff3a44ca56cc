"""Serving an attachment: the same safe response for the pages and the API."""

from django.http import FileResponse, Http404

from .models import IncidentAttachment


def attachment_response(attachment: IncidentAttachment) -> FileResponse:
    """Always a download (never rendered inline), with its stored type and no sniffing."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
