from django.core.management.base import BaseCommand, CommandError

from rohstoff.supply import reading, services


class Command(BaseCommand):
    help = (
        "Load the world production reference data (USGS Mineral Commodity Summaries) and the "
        "mapping of our materials to it, for every edition in rohstoff/supply/data/editions.toml. "
        "Safe to run twice: an edition whose files did not change is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Reload unchanged editions too.")

    def handle(self, *args, force=False, **options):
        try:
            results = services.reference_data_load(force=force)
        except (reading.ReferenceError, OSError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            state = "loaded" if result.loaded else "unchanged"
            self.stdout.write(
                f"{result.edition}: {state}, {result.figures} figures, {result.series} materials"
            )
