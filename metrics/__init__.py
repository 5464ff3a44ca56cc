"""Read-only customer outcomes and SLA figures: rollups, dashboards, exports."""
