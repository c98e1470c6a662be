"""Display helpers for the public pages. Everything from the courts' sites is text: format_html escapes it."""

import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cases.models import Event, Participation
from cases.timeline import render_svg

register = template.Library()

DAY = "j F Y"
MONTH = "F Y"
YEAR = "Y"


def _time(value, fmt, machine):
    return format_html('<time datetime="{}">{}</time>', machine, date_filter(value, fmt))


@register.simple_tag
def fuzzy_date(value, precision=Event.Precision.DAY, end=None):
    """A date as precise as the source is: "26 January 2024", "October 2024", "2024"; a hearing's days as a range.

    `end` only counts at day precision: "11–12 January 2024", "29 April – 2 May 2024".
    """
    if not value:
        return ""
    if precision == Event.Precision.YEAR:
        return _time(value, YEAR, f"{value:%Y}")
    if precision == Event.Precision.MONTH:
        return _time(value, MONTH, f"{value:%Y-%m}")
    if not end or end <= value:
        return _time(value, DAY, value.isoformat())
    if (value.year, value.month) == (end.year, end.month):
        start_fmt = "j"
    elif value.year == end.year:
        start_fmt = "j F"
    else:
        start_fmt = DAY
    # The en dash sits between two <time> elements, each machine-readable on its own.
    return format_html(
        '<span class="date-range">{}<span aria-hidden="true">–</span>'
        '<span class="visually-hidden"> {} </span>{}</span>',
        _time(value, start_fmt, value.isoformat()),
        _("to"),
        _time(end, DAY, end.isoformat()),
    )


@register.simple_tag
def event_date(event):
    return fuzzy_date(event.date, event.precision, event.end_date)


@register.simple_tag
def day(value):
    """A full date ("26 January 2024") in a <time> element; a datetime shows its local day."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        # The template engine localises a datetime before its filters see it; called from Python, we do.
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_filter(local, DAY))
    return _time(value, DAY, value.isoformat())


def _is_web_url(url):
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))


@register.simple_tag
def external_link(url, text, hint=None):
    """A link to a court's site, marked as leaving ours; a value that is not a web URL is shown as text only."""
    if not _is_web_url(url):
        return format_html("{}", text)
    return format_html(
        '<a class="external" href="{}" rel="noopener external">{}<span class="visually-hidden"> ({})</span>'
        '<span class="external-icon" aria-hidden="true"></span></a>',
        url,
        text,
        hint or _("external site"),
    )


@register.simple_tag
def source(obj, label=None):
    """Where a fact was read: a link to obj.source_url and obj.source_note as text. Written here, not by an
    included template: a case page shows dozens, and each include cost more than the rest of its row."""
    url = getattr(obj, "source_url", "")
    url = url if _is_web_url(url) else ""
    note = getattr(obj, "source_note", "")
    if not (url or note):
        return ""
    link = external_link(url, label or _("Source"), _("official page")) if url else ""
    if note:
        reported = format_html("{} ", _("Reported by")) if not url else ""
        note = format_html('{}<span class="source-note">{}{}</span>', "; " if url else "", reported, note)
    return format_html('<span class="source">{}{}</span>', link, note)


@register.simple_tag
def document_rows(documents, case, new_since):
    """The rows of a case's documents table. Written here rather than by the template: a template row cost
    about 0.17 ms, the largest part of rendering a case page; this writes the same markup in a fraction."""
    l_date, l_document, l_kind = _("Date"), _("Document"), _("Kind")
    l_reference, l_language, l_details = _("Reference"), _("Language"), _("Details and citation")
    new, first_seen, undated = _("New"), _("First seen on"), _("undated")
    missing, broken = _("no longer listed at the source since"), _("The court's link seemed broken when last checked.")
    rows = []
    for filing in documents:
        date = day(filing.date) if filing.date else format_html('<span class="muted">{}</span>', undated)
        document = [external_link(filing.official_link, filing.title)]
        if filing.first_seen_at >= new_since:
            seen = date_filter(timezone.localtime(filing.first_seen_at), DAY)
            document.append(
                format_html(' <span class="badge badge--new" title="{} {}">{}</span>', first_seen, seen, new)
            )
        if not filing.url and filing.source_url or filing.source_note:
            document.append(format_html('\n<br><span class="small">{}</span>', source(filing)))
        if filing.missing_since:
            document.append(
                format_html(
                    '\n<span class="small muted filing-missing">{} {}</span>', missing, day(filing.missing_since)
                )
            )
        if filing.link_status == "broken":
            document.append(format_html('\n<br><span class="small muted">{}</span>', broken))
        document.append(
            format_html(
                '\n<br><a class="small filing-cite" href="{}">{}<span class="visually-hidden">: {}</span></a>',
                reverse("cases:filing", args=[case.slug, filing.pk]),
                l_details,
                filing.title,
            )
        )
        reference = format_html('<span class="ref">{}</span>', filing.reference) if filing.reference else ""
        reference = _optional_cell(l_reference, reference)
        language = _optional_cell(l_language, filing.get_language_display() if filing.language else "")
        rows.append(
            format_html(
                '<tr role="row">\n<td role="cell" data-label="{}">{}</td>\n'
                '<th scope="row" role="rowheader" data-label="{}">\n{}\n</th>\n'
                '<td role="cell" data-label="{}">{}</td>\n{}\n{}\n</tr>',
                l_date,
                date,
                l_document,
                mark_safe("".join(document)),  # noqa: S308 - each piece made by format_html
                l_kind,
                filing.get_kind_display(),
                reference,
                language,
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - each row made by format_html


def _optional_cell(label, content):
    """A cell of the documents table, or one marked empty with a dash."""
    if content:
        return format_html('<td role="cell" data-label="{}">{}</td>', label, content)
    return format_html('<td role="cell" data-label="{}" class="cell--empty"><span class="muted">—</span></td>', label)


@register.filter
def group_by_role(participations):
    """Participations grouped by role, in the order Participation.Role lists them: [(label, [..]), ...]."""
    groups = {}
    for participation in participations:
        groups.setdefault(participation.role, []).append(participation)
    order = list(Participation.Role.values)
    roles = sorted(groups, key=lambda role: order.index(role) if role in order else len(order))
    labels = dict(Participation.Role.choices)
    return [(labels.get(role, role), groups[role]) for role in roles]


@register.filter
def change_value(value):
    """An old or new value in the "What changed" list."""
    if value is None or value == "":
        return mark_safe('<span class="muted">—</span>')  # noqa: S308 - a constant
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date):
        return day(value)
    return str(value)


@register.simple_tag
def timeline_figure(timeline, describedby=""):
    """The chart of cases/timeline.py, `describedby` the id of the list it draws."""
    return render_svg(timeline, describedby=describedby)
