"""Change requests, the standard-change catalogue, change authorities and the schedule."""
