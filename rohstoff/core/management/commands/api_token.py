from django.core.management.base import BaseCommand, CommandError

from rohstoff.core.models import User
from rohstoff.core.services import api_token_create


class Command(BaseCommand):
    help = "Create a new API token for a user and print it once (only its digest is stored)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="created on the command line")

    def handle(self, *args, email, name, **options):
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            raise CommandError(f"No user with the e-mail address {email}.") from None
        if not user.is_active:
            raise CommandError(f"{email} is not active.")
        _token, key = api_token_create(user=user, name=name)
        self.stdout.write(key)
