"""Every input limit of incidents and problems, defined once: the browser forms, the API's
input serializers and the services all read them from here."""

TITLE_MAX = 200  # incident and problem titles (the model's max_length)
TEXT_MAX = 20_000  # descriptions, comments, resolution notes, workarounds, root causes, fixes
DESCRIPTION_MAX = TEXT_MAX  # incident and problem descriptions
REASON_MAX = 2_000  # reopen and cancel reasons, the note of a hold
RATING_COMMENT_MAX = 4_000
SEARCH_MAX = 200  # the ``q`` of lists
CHANGE_REF_MAX = 20  # "CHG-000042"
REFS_INPUT_MAX = 5_000  # the "link incidents" text box of the problem page
AFFECTED_USERS_MAX = 1_000_000
OLDER_THAN_DAYS_MAX = 3_650
BULK_ASSIGN_MAX = 200
LINK_INCIDENTS_MAX = 500
ID_MAX = 2**63 - 1  # largest id the database can hold (bigint)
# What a requester may report: impact 3 (some people) or 4 (just me), any urgency. A higher
# impact, and with it P1, is the desk's call, made through triage.
REQUESTER_MIN_IMPACT = 3
