import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.sources.base import SourceError, get_adapter


class Command(BaseCommand):
    help = (
        "Parse a court's page with an adapter and print the Snapshot as JSON. "
        "FILE_OR_URL is a saved page, '-' for standard input, or a URL fetched through the safe client."
    )

    def add_arguments(self, parser):
        parser.add_argument("adapter", help="adapter name, e.g. icj, icj-pending, icc, icc-decisions, icc-rss, hudoc")
        parser.add_argument("file_or_url")
        parser.add_argument("--url", help="the page's address, to resolve its links (default: the URL given)")

    def handle(self, *args, adapter, file_or_url, url, **options):
        try:
            reader = get_adapter(adapter)
            text, page_url = self._read(file_or_url, reader)
            # A saved page's relative links resolve against the court's site unless --url says where it was.
            default = f"https://{reader.hosts[0]}/" if reader.hosts else ""
            snapshot = reader.parse(text, url or page_url or default)
        except (SourceError, OSError) as error:
            raise CommandError(f"{file_or_url}: {error}".replace("\n", " ")) from error
        except Exception as error:  # a parser bug must still end in one line, not a traceback
            raise CommandError(f"{file_or_url}: could not parse ({error.__class__.__name__}: {error})") from error
        self.stdout.write(json.dumps(snapshot.as_json(), ensure_ascii=False, indent=2))

    def _read(self, file_or_url, reader):
        if file_or_url.startswith(("http://", "https://")):
            from cases.sources import http

            try:
                page = http.fetch(file_or_url, accept=reader.content_types)
            except http.FetchError as error:
                raise SourceError(f"network error: {error}") from error
            return page.text, page.url
        if file_or_url == "-":
            import sys

            return sys.stdin.read(), ""
        path = Path(file_or_url)
        data = path.read_bytes()
        return data.decode("utf-8", errors="replace"), ""
