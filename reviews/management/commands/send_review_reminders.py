from django.core.management.base import BaseCommand

from reviews.management.commands.run_review_schedules import parse_day
from reviews.services import review_reminders_send


class Command(BaseCommand):
    help = (
        "Mail reviewers about their pending reviews that are due soon or overdue (at most once a day per "
        "review, so it is safe to run from cron more often)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=parse_day, default=None, help="Pretend it is this day (YYYY-MM-DD).")
        parser.add_argument(
            "--days-before", type=int, default=3, help="Start reminding this many days before the due date."
        )

    def handle(self, *args, today=None, days_before=3, **options):
        count = review_reminders_send(today=today, days_before=days_before)
        self.stdout.write(f"Reminded reviewers about {count} reviews.")
