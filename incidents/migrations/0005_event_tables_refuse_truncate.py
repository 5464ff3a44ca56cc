from django.db import migrations

from servicedesk.db import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_merge_canned_replies_and_channels")]

    operations = [
        refuse_truncate("incidents_incidentevent"),
        refuse_truncate("incidents_problemevent"),
    ]
