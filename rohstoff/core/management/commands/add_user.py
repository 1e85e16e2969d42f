import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from rohstoff.core.models import OrganisationKind, Role
from rohstoff.core.services import organisation_get_or_create, user_create


class Command(BaseCommand):
    help = "Create a user in an organisation (the organisation is created when it does not exist)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--org", help="organisation name")
        parser.add_argument("--kind", choices=OrganisationKind.values, help="organisation kind")
        parser.add_argument("--role", choices=Role.values)
        parser.add_argument("--name", default="", help="the person's full name")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="read the password from this environment variable (never from the command line)",
        )
        parser.add_argument(
            "--staff", action="store_true", help="a staff admin (organisation and role optional)"
        )

    def handle(self, *args, **options):
        # Operators read the command's output in English, its errors included.
        with translation.override("en"):
            return self._handle(**options)

    def _handle(self, *, email, org, kind, role, name, password_env, staff, **options):
        if not staff and not (org and kind and role):
            raise CommandError(
                "--org, --kind and --role are required (or --staff for a staff admin)."
            )
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"The environment variable {password_env} is not set or empty.")
        try:
            with transaction.atomic():  # a refused user leaves no new organisation behind
                organisation = organisation_get_or_create(name=org, kind=kind)[0] if org else None
                user = user_create(
                    email=email,
                    organisation=organisation,
                    role=role or "",
                    password=password,
                    full_name=name,
                    is_staff=staff,
                )
                if staff:
                    user.is_superuser = True
                    user.save(update_fields=["is_superuser"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {user.email} ({user.get_role_display() or 'staff admin'}"
                f"{' of ' + organisation.name if organisation else ''})."
            )
        )
        if not password:
            self.stdout.write(
                "No password set: the user sets one with 'Forgot your password?' on the sign-in page."
            )
