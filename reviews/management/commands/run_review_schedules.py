import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reviews.services import review_schedules_run


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Open the review cycles whose schedules are due (safe to run from cron as often as you like)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=parse_day, default=None, help="Pretend it is this day (YYYY-MM-DD).")

    def handle(self, *args, today=None, **options):
        cycles = review_schedules_run(today=today)
        if not cycles:
            self.stdout.write("No review schedule is due: nothing opened.")
            return
        for cycle in cycles:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Opened {cycle.name!r} ({cycle.starts_on} – {cycle.due_on}): {cycle.reviews.count()} reviews"
                )
            )
