from django.db import migrations

from servicedesk.db import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_append_only_and_defaults")]

    operations = [
        refuse_truncate("incidents_incidentevent"),
        refuse_truncate("incidents_problemevent"),
    ]
