"""Report (and with --repair, repair) structural problems of the organisation.

Exit status 0 when the organisation is sound (or was repaired), 1 when problems were found and
left as they are: cron or a deploy check can alert on it."""

from django.core.management.base import BaseCommand, CommandError

from teams.selectors import org_structure_problems
from teams.services import org_structure_repair

KIND_LABELS = {
    "cycle": "cycle of parent teams",
    "under_archived": "active team under an archived team",
    "lead_without_permission": "lead without the lead permission",
    "permission_without_lead": "lead permission without a lead membership",
}


class Command(BaseCommand):
    help = (
        "Check the team tree and the leads' permissions: cycles, active teams under archived ones, leads without "
        "their permission, permissions without a lead. With --repair, fix them (with change events)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Repair what is found, in one transaction.")

    def handle(self, *args, repair: bool, **options):
        problems = org_structure_repair(acting_user=None) if repair else org_structure_problems()
        for problem in problems:
            verb = "repaired" if repair else "problem"
            self.stdout.write(f"{verb}: {KIND_LABELS[problem.kind]}: {problem.detail}")
        left = org_structure_problems() if repair else problems
        if left:
            for problem in left if repair else ():
                self.stderr.write(f"left: {KIND_LABELS[problem.kind]}: {problem.detail}")
            raise CommandError(f"{len(left)} problem(s) found; run with --repair to repair them.", returncode=1)
        self.stdout.write("The organisation is sound." if not problems else f"{len(problems)} problem(s) repaired.")
