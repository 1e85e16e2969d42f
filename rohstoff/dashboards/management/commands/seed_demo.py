from django.core.management.base import BaseCommand
from django.db import transaction

from rohstoff.core import demo as core_demo


class Command(BaseCommand):
    help = "Load demo organisations, users, a demand round with lines, positions and contracts. Safe to run twice."

    def handle(self, *args, **options):
        with transaction.atomic():
            core_demo.seed_accounts()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {core_demo.DEMO_PASSWORD}):")
        for email, _name, org, _kind, role, staff in core_demo.USERS:
            label = "staff admin" if staff else role
            extra = (
                "  + second factor (see below)"
                if role in ("trading_desk", "agency_approver")
                else ""
            )
            self.stdout.write(f"  {email:34} {label:16} {org or ''}{extra}")
        self.stdout.write("")
        self.stdout.write(
            f"Second factor of the desk and the approvers: authenticator-app secret {core_demo.DEMO_TOTP_SECRET}"
        )
        self.stdout.write(
            "  (or, with DEBUG=true: python manage.py demo_totp desk@handelshaus.example)"
        )
        return None
