import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.importer import ImportFileError, import_document, read_document


class Command(BaseCommand):
    help = (
        "Read a file that export_cases wrote (FILE, or - for stdin) into the database, in one transaction: a file "
        "with any problem imports nothing and the command stops with one line naming the record and the key. "
        "Records are matched on their natural keys (court code, case slug, party name, person slug; in a case, "
        "a filing's URL or else its reference, a party's role, a warrant's person and date), so importing a file "
        "twice duplicates nothing. By default a record that exists already takes the file's values (the file is "
        "what you want the database to say, as when restoring it); with --skip-existing it is left as it is and "
        "only what is missing is added. Nothing the file does not mention is changed or deleted. History rows "
        "say \"imported from FILE\". What the export does not carry (a court's names, a party's slug, the kind of "
        "a relation, a filing's Reports page, ...) cannot come back from it: a full copy is a database backup."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="a file export_cases wrote, or - to read stdin")
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="leave records that exist already as they are; only add what is missing",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count what would change, then roll back"
        )

    def handle(self, *args, **options):
        name = options["file"]
        if name == "-":
            label = "stdin"
            stream = options.get("stdin") or sys.stdin.buffer
            document = self._read(stream, label)
        else:
            label = name
            try:
                with Path(name).open("rb") as stream:
                    document = self._read(stream, label)
            except OSError as error:
                raise CommandError(f"cannot read {name}: {error.strerror or error}") from error

        try:
            report = import_document(
                document, label=label, skip_existing=options["skip_existing"], dry_run=options["dry_run"]
            )
        except ImportFileError as error:
            raise CommandError(f"{error} (nothing was imported)") from error

        if options["verbosity"] >= 1:
            cases = len(document["cases"])
            if options["dry_run"]:
                self.stdout.write(f"Dry run: {cases} cases checked in {label}; nothing was written. It would give:")
            else:
                self.stdout.write(f"Imported {cases} cases from {label}.")
            for line in report.lines():
                self.stdout.write(f"  {line}")

    @staticmethod
    def _read(stream, label):
        try:
            return read_document(stream, label=label)
        except ImportFileError as error:
            raise CommandError(f"{error} (nothing was imported)") from error
