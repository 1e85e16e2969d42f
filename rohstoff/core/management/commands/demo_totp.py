import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo user (only with DEBUG=true)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp works only with DEBUG=true; use an authenticator app.")
        authenticator = Authenticator.objects.filter(
            user__email__iexact=email, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError(f"{email} has no authenticator app set up.")
        secret = decrypt(authenticator.data["secret"])
        self.stdout.write(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
