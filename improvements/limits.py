"""Input limits of the improvement register, defined once for forms and the API alike."""

TITLE_MAX = 200
TEXT_MAX = 4000
REASON_MIN = 10
REASON_MAX = 2000
GATE_ID_MAX = 100
EVIDENCE_MAX = 10
