"""Create the database cache table (the default CACHE_URL) with the schema, not by hand."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # A no-op for caches that are not database caches (CACHE_URL=redis://...), and for a table
    # that exists already.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_signin_signup_fields")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
