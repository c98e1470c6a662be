from django.core.management.base import BaseCommand, CommandError

from cases.services import SEED_DIR, SeedError, seed_cases


class Command(BaseCommand):
    help = "Load the curated real cases from cases/seed/; running it again duplicates nothing and keeps staff edits."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(SEED_DIR), help="folder of seed files (default: cases/seed)")

    def handle(self, *args, **options):
        from pathlib import Path

        try:
            report = seed_cases(directory=Path(options["dir"]))
        except SeedError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Seeded: {report.created} created, {report.updated} updated, {report.unchanged} unchanged.")
        for item in report.kept_staff_edits:
            self.stdout.write(f"  kept a staff edit: {item}")
        for item in report.skipped_deleted:
            self.stdout.write(f"  not recreated (deleted by staff): {item}")
