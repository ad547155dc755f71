"""The admin's view of API tokens (by whose they are, never by key), and the database cache table
that production uses when no REDIS_URL is set (so that `migrate` is all a deployment runs)."""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

CACHE_TABLE = "orgstructure_cache"  # settings.CACHES "database" LOCATION


def create_cache_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ('authtoken', '0004_alter_tokenproxy_options'),
        ('orgstructure', '0001_create_change_events'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
            ],
            options={
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('authtoken.tokenproxy',),
        ),
        migrations.RunPython(create_cache_table, drop_cache_table),
    ]
