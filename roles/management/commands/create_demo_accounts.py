"""Demo accounts for `make run`: one HR manager, and a lead and a member for every team.

Demo only: refused unless settings.ALLOW_DEMO_DATA (on with DEBUG, off in production).
Idempotent: existing accounts keep their memberships; passwords are reset to the demo one.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from roles.models import Role, RoleStatus
from teams.models import Membership, Team
from teams.permissions import HR_MANAGERS_GROUP
from teams.services import membership_add

DEMO_PASSWORD = "orgstructure-demo"
# (first name, last name) for each team's lead and member, in team order; then numbered.
DEMO_NAMES = [
    (("Fang", "Wang"), ("Lei", "Zhao")),
    (("Wei", "Li"), ("Xin", "Huang")),
    (("Min", "Zhang"), ("Tao", "Zhou")),
    (("Yang", "Liu"), ("Na", "Wu")),
    (("Jing", "Chen"), ("Hao", "Xu")),
]


class Command(BaseCommand):
    help = "Create demo accounts (an HR manager, and a lead and a member per team). Demo only."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for every demo account.")

    @transaction.atomic
    def handle(self, *args, password, **options):
        if not settings.ALLOW_DEMO_DATA:
            raise CommandError("Demo accounts are disabled here (set DEBUG=1 or ALLOW_DEMO_DATA=1 on a demo machine).")
        User = get_user_model()
        rows = []

        hr, _ = User.objects.get_or_create(
            username="hr", defaults={"first_name": "Hana", "last_name": "Reyes", "email": "hr@example.com"}
        )
        hr.is_staff = True
        hr.set_password(password)
        hr.save()
        hr.groups.add(Group.objects.get(name=HR_MANAGERS_GROUP))
        rows.append(("hr", "HR manager", "all teams"))

        teams = Team.objects.filter(archived=False, parent__isnull=True).order_by("position", "name")
        for index, team in enumerate(teams):
            role = Role.objects.filter(team=team, status=RoleStatus.ACTIVE).order_by("title").first()
            names = DEMO_NAMES[index] if index < len(DEMO_NAMES) else ((f"Lead {index}", ""), (f"Member {index}", ""))
            for (kind, is_lead), (first_name, last_name) in zip(
                (("lead", True), ("member", False)), names, strict=True
            ):
                username = f"{kind}-{team.slug}"
                user, _ = User.objects.get_or_create(
                    username=username,
                    defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.com"},
                )
                user.set_password(password)
                user.save()
                if not Membership.objects.filter(user=user, team=team).exists():
                    membership_add(
                        user=user, team=team, role=None if is_lead else role, is_lead=is_lead, acting_user=None
                    )
                rows.append(
                    (username, f"{'team lead' if is_lead else 'team member'} ({user.get_full_name()})", team.name)
                )

        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {password}):"))
        for username, what, where in rows:
            self.stdout.write(f"  {username:<28} {what:<28} {where}")
