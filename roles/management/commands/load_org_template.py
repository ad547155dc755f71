from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from roles.org_template import TEMPLATE_LANGUAGES, org_template_load, org_template_names


class Command(BaseCommand):
    help = "Create an organisation template's teams, core duties and roles (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("template", choices=org_template_names(), help="Template name, e.g. ecommerce.")
        parser.add_argument("--lang", choices=TEMPLATE_LANGUAGES, default="zh-hans", help="Language of the texts.")

    def handle(self, *args, template, lang, **options):
        try:
            report = org_template_load(key=template, lang=lang, acting_user=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if not report.changed:
            self.stdout.write(f"Template {template!r} is already loaded: nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {template!r} ({lang}): {len(report.teams_created)} teams, "
                f"{report.core_duties_created} core duties, {len(report.roles_created)} roles, "
                f"{report.duties_created} duties."
            )
        )
        if report.teams_present or report.roles_present:
            self.stdout.write(f"Left as they were: {', '.join(report.teams_present + report.roles_present) or '-'}")
