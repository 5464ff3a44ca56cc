from django.db import migrations

from servicedesk.db import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_change_feed_indexes")]

    operations = [
        refuse_truncate("incidents_incidentevent"),
        refuse_truncate("incidents_problemevent"),
    ]
