"""What the bypass app tells other apps, without importing them.

Each signal is sent by a bypass service through ``transaction.on_commit`` (so a receiver never
sees a decision that was rolled back) with ids and plain values only. Receivers live in the
receiving app (connected in its ``AppConfig.ready``) and call that app's own services; the
bypass app never imports them.
"""

from django.dispatch import Signal

#: A used bypass got its review after use. Keyword arguments: ``request_id`` (int),
#: ``reviewer_id`` (int), ``outcome`` (str: worked / degraded / failed / caused_incident),
#: ``misfit`` (str: "what about the process did not fit?"), ``proposal`` (str, may be empty:
#: the reviewer's proposal to change the process).
request_reviewed = Signal()
