"""Incidents, problems, queues, SLA clocks, routing and escalation rules."""
