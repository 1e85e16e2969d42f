import logging

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

import agency.demo
import agency.stockpile.demo
import contracts.demo
import industry.demo
import market.demo
import rohstoff.supply.demo
import tradinghouse.demo
from rohstoff.celery import app as celery_app
from rohstoff.core import demo as core_demo

# Each step commits before the next one starts: the aggregation job that a step queues "on
# commit" must have written its positions before contracts allocate against them.
STEPS = [
    (
        "organisations and users",
        lambda context: context.update(core_demo.seed_accounts()) or context,
    ),
    ("agency projects", agency.demo.seed),
    ("demand rounds and lines", industry.demo.seed),
    ("counterparties, prices, contracts, deliveries", contracts.demo.seed),
    ("procurement positions", tradinghouse.demo.seed),
    ("allocations", contracts.demo.seed_allocations),
    ("agency stakes, portfolio and monitoring", agency.demo.seed_stakes),
    ("supply reference data (USGS)", rohstoff.supply.demo.seed),
    ("stockpile and saved scenarios", agency.stockpile.demo.seed),
    ("suppliers, a call for offers, its matching", market.demo.seed),
]


class Command(BaseCommand):
    help = (
        "Load demo organisations, users, demand rounds with lines, positions, contracts and "
        "allocations. Safe to run twice: what exists already is left as it is."
    )

    def handle(self, *args, **options):
        # The demo's jobs run in this process, also when a Redis worker is configured, so that
        # every step finds what the one before it produced.
        eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        # The notification e-mails the demo's rounds and allocations trigger are kept in memory,
        # not printed between the demo logins.
        email_backend = settings.EMAIL_BACKEND
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        try:
            context: dict = {}
            for label, step in STEPS:
                with transaction.atomic():
                    context = step(context)
                if options["verbosity"] > 1:
                    self.stdout.write(f"  {label}: done")
        finally:
            celery_app.conf.task_always_eager = eager
            settings.EMAIL_BACKEND = email_backend
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {core_demo.DEMO_PASSWORD}):")
        for email, _name, org, _kind, role, staff in core_demo.USERS:
            label = "staff admin" if staff else role
            extra = (
                "  + second factor (see below)"
                if staff or role in ("trading_desk", "agency_approver")
                else ""
            )
            self.stdout.write(f"  {email:34} {label:16} {org or ''}{extra}")
        self.stdout.write("")
        self.stdout.write(
            f"Second factor of the desk, the approvers and the staff admin: authenticator-app secret {core_demo.DEMO_TOTP_SECRET}"
        )
        self.stdout.write(
            "  (or, with DEBUG=true: python manage.py demo_totp desk@handelshaus.example)"
        )
