# 0004 altered two columns of bypass_bypassevent; on SQLite that rebuilt the table and dropped
# its append-only triggers (PostgreSQL kept them). Written by hand, like 0002's triggers.
from django.db import migrations

from servicedesk.db import sqlite_append_only_restored


class Migration(migrations.Migration):
    dependencies = [("bypass", "0004_break_glass_review_standard")]

    operations = [sqlite_append_only_restored("bypass_bypassevent")]
