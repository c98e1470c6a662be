"""Read the courts' pages for the pending cases now: queued for the workers, or here with --sync."""

import logging
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Exists, OuterRef

from cases import services
from cases.models import Case, Court, Source, SourceCheck
from cases.tasks import QueueUnavailable, queue_each

logger = logging.getLogger(__name__)

# The closing table of --sync, in this order: what was read, then what it gave.
ROWS = (
    ("cases", "cases"),
    ("checked", "sources checked"),
    (SourceCheck.Outcome.CHANGED, "changed"),
    (SourceCheck.Outcome.UNCHANGED, "unchanged"),
    ("new_filings", "new filings"),
    ("missing_filings", "missing filings"),
    (SourceCheck.Outcome.FAILED, "failed"),
    (SourceCheck.Outcome.BLOCKED, "blocked"),
    (SourceCheck.Outcome.SUSPECT, "suspect"),
)


class Progress:
    """ "[12/21] south-africa-v-israel-gaza" with a bar, redrawn in place on a terminal, a line a case elsewhere."""

    WIDTH = 24

    def __init__(self, stream, total, enabled=True):
        self.stream, self.total, self.enabled = stream, total, enabled
        self.tty = enabled and stream.isatty()
        self.last_length = 0

    def show(self, position, label):
        if not self.enabled:
            return
        filled = self.WIDTH * position // max(self.total, 1)
        line = f"{'#' * filled}{'.' * (self.WIDTH - filled)} [{position}/{self.total}] {label}"
        if self.tty:
            self.write(f"\r{line.ljust(self.last_length)}", ending="")
            self.stream.flush()
            self.last_length = len(line)
        else:
            self.write(line)

    def write(self, text, ending="\n"):
        # Plain: the command's stderr would paint every line as an error.
        self.stream.write(text, style_func=str, ending=ending)

    def note(self, text):
        """A line of its own (an error), without breaking the bar."""
        if self.tty and self.last_length:
            self.write("")
            self.last_length = 0
        self.stream.write(text)

    def close(self):
        if self.tty and self.last_length:
            self.write("")


class Command(BaseCommand):
    help = (
        "Refresh the pending cases that have a source to read: queue a task for each (the default), "
        "or read them here and now with --sync. --case reads one case, even one concluded or set aside."
    )

    def add_arguments(self, parser):
        parser.add_argument("--court", metavar="CODE", help="only this court's cases (ICJ, ICC, ECHR, ...)")
        parser.add_argument("--case", metavar="SLUG", help="only this case, whatever its status")
        parser.add_argument("--sync", action="store_true", help="read the sources in this process, not the workers")

    def handle(self, *args, court=None, case=None, sync=False, **options):
        cases = self.select(court, case)
        if not cases:
            self.stdout.write("No case to refresh.")
            return
        if sync:
            self.refresh_here(cases, options["verbosity"])
        else:
            self.queue(cases)

    def select(self, court_code, slug):
        cases = Case.objects.filter(Exists(Source.objects.filter(case=OuterRef("pk"), enabled=True)))
        if court_code:
            court = Court.objects.filter(code__iexact=court_code).first()
            if court is None:
                known = ", ".join(Court.objects.values_list("code", flat=True)) or "none"
                raise CommandError(f"Unknown court {court_code!r} (known: {known}).")
            cases = cases.filter(court=court)
        if slug:
            chosen = Case.objects.filter(slug=slug).select_related("court").first()
            if chosen is None:
                raise CommandError(f"Unknown case {slug!r}.")
            if court_code and chosen.court.code.lower() != court_code.lower():
                raise CommandError(f"Case {slug!r} is a case of the {chosen.court.code}, not of {court_code}.")
            if not cases.filter(pk=chosen.pk).exists():
                raise CommandError(f"Case {slug!r} has no enabled source to read.")
            return [chosen]
        pending = cases.filter(status=Case.Status.PENDING, refresh_enabled=True)
        return list(pending.select_related("court").order_by("court__code", "slug"))

    def queue(self, cases):
        from cases.tasks import refresh_case

        try:
            queued = queue_each(refresh_case, [case.pk for case in cases])
        except QueueUnavailable as error:
            raise CommandError(f"The task queue is unavailable: refresh not queued. ({error})") from error
        self.stdout.write(f"Queued the refresh of {queued} case{'' if queued == 1 else 's'}.")

    def refresh_here(self, cases, verbosity):
        from cases.sources.http import FetchError

        totals = Counter(cases=len(cases))
        progress = Progress(self.stderr, len(cases), enabled=verbosity > 0)
        crashed = []
        for position, case in enumerate(cases, start=1):
            progress.show(position, case.slug)
            try:
                checks = services.refresh_case(case=case)
            except FetchError as error:
                # The worker would retry later; here the run goes on, and the case counts as failed.
                totals[SourceCheck.Outcome.FAILED] += 1
                progress.note(f"{case.slug}: network error: {error}")
                continue
            except Exception as error:  # a parser's bug must not stop the other cases
                logger.exception("refresh of %s failed", case.slug)
                totals[SourceCheck.Outcome.FAILED] += 1
                crashed.append(case.slug)
                progress.note(f"{case.slug}: {error.__class__.__name__}: {error}")
                continue
            for check in checks:
                totals["checked"] += 1
                totals[check.outcome] += 1
                totals["new_filings"] += check.new_filings
                totals["missing_filings"] += check.missing_filings
                if check.outcome in SourceCheck.TROUBLE:
                    progress.note(f"{case.slug}: {check.outcome}: {check.url} {check.error}".rstrip())
        progress.close()
        width = max(len(label) for _, label in ROWS)
        for key, label in ROWS:
            self.stdout.write(f"{label.ljust(width)}  {totals[key]:>5}")
        if crashed:
            raise CommandError(f"Unexpected errors in {len(crashed)} case(s), logged: {', '.join(crashed)}.")
