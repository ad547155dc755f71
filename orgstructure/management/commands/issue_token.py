from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orgstructure.tokens import api_token_issue


class Command(BaseCommand):
    help = "Print the API token of USERNAME (created if missing). Scripts send it as 'Authorization: Token <key>'."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="Replace the existing token; the old key stops working."
        )

    def handle(self, *args, username, rotate, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user {username!r}.") from exc
        try:
            token = api_token_issue(user=user, acting_user=None, rotate=rotate)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(token.key)
