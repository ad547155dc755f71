"""``manage.py generate_org``: a synthetic organisation for benchmarks and demos.

Bulk inserts that bypass the services (see ``roles.generator``): refused unless demo data is
allowed (``DEBUG`` or ``ALLOW_DEMO_DATA``) and the database has no teams yet.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from roles.generator import GenerateOptions, org_generate, text_progress


class Command(BaseCommand):
    help = (
        "Fill an empty database with a synthetic organisation (bench/demo only: bulk inserts that bypass the "
        "services), e.g. --teams 2000 --roles 20000 --duties-per-role 10 --people 20000 --seed 1."
    )

    def add_arguments(self, parser):
        defaults = GenerateOptions()
        parser.add_argument("--teams", type=int, default=defaults.teams)
        parser.add_argument("--roles", type=int, default=defaults.roles)
        parser.add_argument("--duties-per-role", type=int, default=defaults.duties_per_role)
        parser.add_argument("--people", type=int, default=defaults.people)
        parser.add_argument("--seed", type=int, default=defaults.seed, help="Same seed, same organisation.")
        parser.add_argument("--core-duties-per-team", type=int, default=defaults.core_duties_per_team)
        parser.add_argument("--suggestions", type=int, default=None, help="Default: one per 20 roles.")
        parser.add_argument("--max-revisions", type=int, default=defaults.max_revisions)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **opts):
        if not settings.ALLOW_DEMO_DATA:
            raise CommandError("Demo data is off (set DEBUG=1 or ALLOW_DEMO_DATA=1 on a demo or bench machine).")
        options = GenerateOptions(
            teams=opts["teams"],
            roles=opts["roles"],
            duties_per_role=opts["duties_per_role"],
            people=opts["people"],
            seed=opts["seed"],
            core_duties_per_team=opts["core_duties_per_team"],
            suggestions=opts["suggestions"],
            max_revisions=opts["max_revisions"],
        )
        quiet = opts["no_progress"] or opts["verbosity"] == 0
        try:
            report = org_generate(options, progress=(lambda *a: None) if quiet else text_progress(self.stderr._out))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(report.seconds.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {report.teams} teams ({report.depth + 1} levels), {report.core_duties} core duties, "
                f"{report.roles} roles, {report.duties} duties, {report.revisions} revisions, {report.people} people "
                f"({report.leads} leads), {report.suggestions} suggestions in {total:.1f} s."
            )
        )
        if opts["verbosity"] > 1:
            self.stdout.write(", ".join(f"{k}: {v:.1f} s" for k, v in report.seconds.items()))
