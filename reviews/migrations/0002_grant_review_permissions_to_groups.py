"""HR managers get every reviews permission (they run cycles and decide suggestions); Org
readers (script accounts) may read schedules and cycles. Reviews and suggestions are personal
work in progress and stay out of the readers' group. Permissions are created here first, since
Django only makes them after all migrations have run."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READER_CODENAMES = ("view_reviewschedule", "view_reviewcycle")


def _ensure_permissions(apps):
    app_config = apps.get_app_config("reviews")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None


def grant(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="reviews")
    hr, _ = Group.objects.get_or_create(name="HR managers")
    hr.permissions.add(*perms)
    readers, _ = Group.objects.get_or_create(name="Org readers")
    readers.permissions.add(*perms.filter(codename__in=READER_CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(Permission.objects.filter(content_type__app_label="reviews"))
    for group in Group.objects.filter(name__in=["HR managers", "Org readers"]):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_create_schedules_cycles_reviews_suggestions"),
        ("teams", "0002_create_hr_managers_and_org_readers_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
