"""WSGI entry point (gunicorn servicedesk.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")
application = get_wsgi_application()

from servicedesk.outbox import warm_up  # noqa: E402 (needs the configured application)

warm_up()
