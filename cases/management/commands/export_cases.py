from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.export import dumps, export_cases, write_atomically
from cases.models import Court


class Command(BaseCommand):
    help = "Write every case with its parties, filings, events, warrants and related cases as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--court", metavar="CODE", help="only this court's cases (ICJ, ICC, ...)")
        parser.add_argument("--out", metavar="FILE", help="write to FILE, replaced atomically (default: stdout)")

    def handle(self, *args, **options):
        court = None
        if options["court"]:
            code = options["court"].strip()
            court = Court.objects.filter(code__iexact=code).first()
            if court is None:
                known = ", ".join(Court.objects.values_list("code", flat=True)) or "none"
                raise CommandError(f"unknown court {code!r} (known: {known})")

        document = export_cases(court=court)
        text = dumps(document)

        if not options["out"] or options["out"] == "-":
            self.stdout.write(text, ending="")
            return
        path = Path(options["out"])
        try:
            write_atomically(path, text)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror or error}") from error
        if options["verbosity"] >= 1:
            self.stdout.write(f"Exported {len(document['cases'])} cases to {path}.")
