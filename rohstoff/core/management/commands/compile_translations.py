import shutil
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Compile the .po translation files: with GNU gettext's msgfmt when it is installed "
        "(as compilemessages does), otherwise with polib, so a fresh machine needs no gettext."
    )

    def handle(self, *args, **options):
        if shutil.which("msgfmt"):
            call_command(
                "compilemessages",
                ignore_patterns=[".venv*", "node_modules"],
                verbosity=options["verbosity"],
            )
            return
        base = Path(settings.BASE_DIR)
        count = 0
        for po_path in base.rglob("locale/*/LC_MESSAGES/*.po"):
            if any(part.startswith(".venv") for part in po_path.relative_to(base).parts):
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            count += 1
        if options["verbosity"]:
            self.stdout.write(f"Compiled {count} translation files with polib.")
