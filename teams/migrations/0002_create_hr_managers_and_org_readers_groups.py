"""The "HR managers" group (edits everything the app holds) and the read-only "Org readers"
group (script accounts). Permissions are created here first, since Django only makes them
after all migrations have run."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_APPS = ("teams", "roles", "reviews")
HR_EXTRA = [("auth", "view_user"), ("auth", "add_user"), ("auth", "change_user"), ("authtoken", "view_token")]


def _ensure_permissions(apps):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    hr, _ = Group.objects.get_or_create(name="HR managers")
    app_perms = Permission.objects.filter(content_type__app_label__in=HR_APPS)
    hr.permissions.add(*app_perms)
    for app_label, codename in HR_EXTRA:
        hr.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    readers, _ = Group.objects.get_or_create(name="Org readers")
    # Readers: teams and roles only; the reviews app grants its own (reviews 0002). Taken from
    # all of HR_APPS, readers got every view_ permission of reviews (everyone's reviews and
    # suggestions) whenever those permissions existed already (a re-run, another migration order).
    readers.permissions.add(
        *app_perms.filter(content_type__app_label__in=("teams", "roles"), codename__startswith="view_")
        .exclude(codename__startswith="view_historical")
        .exclude(codename__endswith="objectpermission")
    )


def delete_groups(apps, schema_editor):
    # Not Group.objects...delete(): its cascade collector meets the historical Group of other
    # apps' states and fails ("Must be Group instance"). Remove what points at the groups, then them.
    Group = apps.get_model("auth", "Group")
    ids = list(Group.objects.filter(name__in=["HR managers", "Org readers"]).values_list("pk", flat=True))
    Group.permissions.through.objects.filter(group_id__in=ids).delete()
    apps.get_model("auth", "User").groups.through.objects.filter(group_id__in=ids).delete()
    for label in ("teams.TeamGroupObjectPermission", "guardian.GroupObjectPermission"):
        try:
            apps.get_model(label).objects.filter(group_id__in=ids).delete()
        except LookupError:
            pass  # not in this migration state
    Group.objects.filter(pk__in=ids)._raw_delete(schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0001_create_teams_memberships_project_groups"),
        ("roles", "0002_link_roles_to_teams"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
