"""Project package: settings, Celery app, URLs and the shared kernel (imports no app)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
