"""The Celery app: JSON only, queues per concern, time limits, and the whole beat schedule."""

import os
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab
from kombu import Queue
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

# "filesystem://", the embedded default: kombu's file-system transport with each message put
# in place whole (servicedesk.localbroker). By the URL's scheme, so another broker's URL (the
# health check's probe, a Redis URL) still reaches its own transport.
TRANSPORT_ALIASES["filesystem"] = "servicedesk.localbroker:Transport"

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")

QUEUES = ("default", "routing", "escalation", "notifications", "metrics")

app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_default_queue="default",
    task_queues=[Queue(name) for name in QUEUES],
    # Tasks are named <entity>_<verb>_task and routed by the concern they serve.
    task_routes=[
        {
            "*_route_task": {"queue": "routing"},
            "*_escalate_task": {"queue": "escalation"},
            "*_notify_task": {"queue": "notifications"},
            "metrics.tasks.*": {"queue": "metrics"},
        }
    ],
    # Every task's time limit (and retry countdown) stays under the broker's visibility timeout
    # (settings.CELERY_BROKER_TRANSPORT_OPTIONS), so a message a killed worker held is
    # redelivered promptly, and never while it is still legitimately running.
    task_time_limit=120,
    task_soft_time_limit=90,
    task_acks_late=False,  # opted into per task, only where the task is idempotent
    task_reject_on_worker_lost=True,  # a worker killed mid-task: the message goes back
    worker_prefetch_multiplier=1,  # a worker holds one message, not a batch others wait on
    worker_hijack_root_logger=False,
    result_expires=timedelta(hours=6),
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    # The beat schedule lives here and nowhere else.
    beat_schedule={
        "outbox-relay": {
            "task": "servicedesk.tasks.outbox_relay_task",
            "schedule": timedelta(seconds=5),
            "options": {"expires": 4},
        },
        "worker-heartbeat": {
            "task": "servicedesk.tasks.worker_heartbeat_task",
            "schedule": timedelta(seconds=20),
            "options": {"expires": 19},
        },
        "idempotency-keys-expire": {
            "task": "servicedesk.tasks.idempotency_keys_expire_task",
            "schedule": timedelta(hours=1),
            "options": {"expires": 55 * 60},
        },
        "webhook-prune": {
            "task": "webhooks.tasks.webhook_prune_task",
            "schedule": timedelta(hours=24),
            "options": {"expires": 3600},
        },
        "incident-autoclose": {
            "task": "incidents.tasks.incident_autoclose_task",
            "schedule": timedelta(minutes=15),
            "options": {"expires": 14 * 60},
        },
        "metrics-rollup-sweep": {
            "task": "metrics.tasks.metrics_rollup_sweep_task",
            "schedule": timedelta(hours=1),
            "options": {"expires": 55 * 60},
        },
        "change-documentation-chase": {
            "task": "changes.tasks.change_chase_documentation_task",
            "schedule": timedelta(minutes=30),
            "options": {"expires": 29 * 60},
        },
        "bypass-sweep": {
            "task": "bypass.tasks.bypass_sweep_task",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 55},
        },
        "bypass-ledger-verify": {
            "task": "bypass.tasks.bypass_ledger_verify_task",
            "schedule": crontab(hour=3, minute=17),
            "options": {"expires": 3600},
        },
        "process-debt-sweep": {
            "task": "improvements.tasks.process_debt_sweep_task",
            "schedule": timedelta(minutes=5),
            "options": {"expires": 4 * 60},
        },
        "incident-sla-sweep": {
            "task": "incidents.tasks.incident_sla_escalate_task",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 55},
        },
    },
)
app.autodiscover_tasks()
