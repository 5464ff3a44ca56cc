from django.db import migrations

from servicedesk.db import refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("changes", "0003_change_feed_index")]

    operations = [
        refuse_truncate("changes_changeevent"),
        refuse_truncate("changes_changedecision"),
    ]
