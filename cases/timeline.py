"""The case timeline drawn as SVG on the server: a case's events on a time axis, no JavaScript.

`layout_timeline()` is a pure function of its arguments (no database, no clock: `today` is given) and returns
plain data: where each marker, bar, label and tick goes. `timeline_svg()` renders that data with
`render_svg()`, which escapes every piece of text that comes from the data.
The same input gives the same bytes, so tests can compare the output.

Decisions, and why:
- The figure is drawn at its natural size and never shrunk. On a screen narrower than the drawing (a phone)
  it scrolls sideways inside its own container, so its 13px labels stay 13px; scaled down to a 360px
  screen, a two-year case with thirty labels would be unreadable. On a wider screen it stretches to the
  column (CSS `min-width: 100%` and the viewBox), a little larger at most. The textual list below the
  figure stays the accessible equivalent and the view a phone reader can always fall back on.
- The drawing is at least `width` wide, and wider for a long case (MIN_PX_PER_YEAR): twenty years of
  proceedings are not squeezed into the width of a page.
- Event kinds are grouped into a few categories, each with its own shape *and* its own colour (the
  Okabe-Ito palette, which stays distinct under the common colour-vision deficiencies, with a dark outline
  for contrast): the shape alone tells them apart.
- An item still ahead (its last day is today or later, as `Event.is_upcoming` says) is tinted and outlined
  with dashes, its label in italics. A hearing over several days is a bar from its first to its last day.
  A date known only to the month or the year is a dotted span over that month or year, its marker in the
  middle, and its tooltip says the day (or month) is not known.
- Labels sit beside their marker, on the left near the right edge. An item whose extent (marker, bar and
  label) would overlap another's goes to the first row down where it fits. Labels are as long as a
  sparse case allows and shorter in a crowded one (LABEL_CHARS). Past MAX_ROWS rows, an item keeps its
  marker and its tooltip but not its label.
- The axis reaches out to today when today is within a year of the first or last item, so a reader sees
  how long ago the last step was or how soon the next comes; "today" is then drawn as a line.
- Dated filings that no event stands for (none links to them, and no event of the same category falls on
  their date) are drawn too, but only if the case has events: the figure needs the event list as its
  text equivalent. Accessory documents (verbatim records, press releases, summaries, opinions appended
  to a decision) are left out: the event or decision they belong to is already there.
"""

from __future__ import annotations

import calendar
import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

DEFAULT_WIDTH = 960
MIN_PX_PER_YEAR = 60  # five pixels a month: below this a long case gets a wider drawing, and scrolls
MAX_ROWS = 16
COMFORTABLE_ROWS = 8
# Labels are cut at a word and end with "…" (the tooltip has the whole title): as long as the first of these
# lets every label fit in COMFORTABLE_ROWS rows, else the last.
LABEL_CHARS = (56, 42, 30)

FONT_SIZE = 13
CHAR_WIDTH = 7.0  # a generous average width at FONT_SIZE in a system sans-serif: labels are placed on an estimate
LEFT, RIGHT = 12, 12  # margins
AXIS_Y = 30  # the axis line; year labels sit above it
TOP = 44  # the top of the first row
ROW_HEIGHT = 26
BOTTOM = 30  # room for the "Today" label under the rows
MARKER_RADIUS = 7
LABEL_GAP = 6
ROW_GAP = 10  # the least horizontal room between two items on one row
MIN_BAR = 3
YEAR_LABEL_ROOM = 44  # the first year is named at the left edge when its tick is at least this far in
MONTH_TICKS_FROM = 14  # pixels a month: month ticks
MONTH_LABELS_FROM = 38  # pixels a month: month names

DAY = "day"
MONTH = "month"
YEAR = "year"


def _star(outer: float = 8.0, inner: float = 3.4) -> str:
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.pi * i / 5 - math.pi / 2
        points.append(f"{_n(radius * math.cos(angle))} {_n(radius * math.sin(angle))}")
    return "M" + "L".join(points) + "Z"


def _n(value: float) -> str:
    """A coordinate as SVG wants it: at most one decimal, a dot, never "-0"."""
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Category:
    key: str
    label: str | Promise
    shape: str  # an SVG path around (0, 0)
    colour: str


# Okabe-Ito colours; every shape differs from every other, so colour is never the only cue.
CATEGORIES = (
    Category("filing", gettext_lazy("Filing"), "M-6.5 0a6.5 6.5 0 1 0 13 0a6.5 6.5 0 1 0 -13 0Z", "#0072B2"),
    Category("intervention", gettext_lazy("Intervention"), "M7 0L3.5 6.1L-3.5 6.1L-7 0L-3.5 -6.1L3.5 -6.1Z", "#F0E442"),
    Category("hearing", gettext_lazy("Hearing"), "M-6 -6H6V6H-6Z", "#D55E00"),
    Category("decision", gettext_lazy("Order or decision"), "M0 -7.5L7.5 0L0 7.5L-7.5 0Z", "#009E73"),
    Category("judgment", gettext_lazy("Judgment or advisory opinion"), _star(), "#CC79A7"),
    Category("deadline", gettext_lazy("Deadline"), "M-7 -6H7L0 7Z", "#E69F00"),
    Category("custody", gettext_lazy("Warrant, arrest or surrender"), "M0 -7L7 6H-7Z", "#56B4E9"),
    Category("other", gettext_lazy("Other"), "M-2 -7H2V-2H7V2H2V7H-2V2H-7V-2H-2Z", "#8c8c8c"),
)
CATEGORY = {category.key: category for category in CATEGORIES}

# Event.Kind and Filing.Kind values -> category key. A filing kind missing here is not drawn.
EVENT_CATEGORIES = {
    "filed": "filing",
    "intervention": "intervention",
    "withdrawal": "filing",
    "hearing": "hearing",
    "appearance": "hearing",
    "order": "decision",
    "decision": "decision",
    "judgment": "judgment",
    "opinion": "judgment",
    "deadline": "deadline",
    "warrant": "custody",
    "arrest": "custody",
    "surrender": "custody",
}
FILING_CATEGORIES = {
    "application": "filing",
    "written_pleading": "filing",
    "intervention": "intervention",
    "order": "decision",
    "decision": "decision",
    "judgment": "judgment",
    "advisory_opinion": "judgment",
    "warrant_of_arrest": "custody",
}


@dataclass(frozen=True)
class Item:
    """One marker: an event, or a filing no event stands for."""

    category: Category
    kind: str  # the kind as the list names it: "Order", "Hearing"
    title: str
    label: str  # beside the marker; "" when it had no room
    when: str  # the date in words, as precise as it is known
    start: datetime.date
    end: datetime.date  # the last day, inclusive
    upcoming: bool
    approximate: bool  # known to the month or the year only: drawn as a span over it
    ranged: bool  # over several days: drawn as a bar
    is_filing: bool
    row: int
    x: float  # the marker's centre
    x0: float  # the bar's or span's left edge (x for a point)
    x1: float  # its right edge
    y: float
    label_x: float
    label_before: bool  # the label is left of the marker (text-anchor: end)

    @property
    def shape(self) -> str:
        return self.category.shape

    @property
    def span_width(self) -> float:
        return round(self.x1 - self.x0, 1)

    @property
    def tooltip(self) -> str:
        text = _("%(date)s – %(kind)s: %(title)s") % {"date": self.when, "kind": self.kind, "title": self.title}
        return _("%(event)s (upcoming)") % {"event": text} if self.upcoming else text

    @property
    def svg(self) -> dict:
        """Coordinates as the template writes them (no locale: "12.5", never "12,5")."""
        return {
            "x": _n(self.x),
            "y": _n(self.y),
            "x0": _n(self.x0),
            "bar_y": _n(self.y - 5),
            "span_y": _n(self.y - 8),
            "width": _n(self.x1 - self.x0),
            "label_x": _n(self.label_x),
            "label_y": _n(self.y + 4.5),
        }


@dataclass(frozen=True)
class Tick:
    date: datetime.date
    x: float
    label: str
    year: bool  # a year tick (with a grid line) rather than a month tick
    line: bool = True  # False: a label only (the first year, named at the left edge)

    @property
    def svg(self) -> dict:
        return {"x": _n(self.x), "label_x": _n(self.x + 4)}


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    start: datetime.date  # the axis, first day
    end: datetime.date  # the axis, day after the last
    px_per_day: float
    items: tuple[Item, ...]
    ticks: tuple[Tick, ...]
    rows: int
    today: datetime.date
    today_x: float | None
    title: str
    desc: str
    asked_width: int = DEFAULT_WIDTH
    id_prefix: str = "timeline"

    @property
    def categories(self) -> list[Category]:
        """The categories drawn, in legend order."""
        present = {item.category.key for item in self.items}
        return [category for category in CATEGORIES if category.key in present]

    @property
    def has_upcoming(self) -> bool:
        return any(item.upcoming for item in self.items)

    @property
    def has_approximate(self) -> bool:
        return any(item.approximate for item in self.items)

    @property
    def has_ranges(self) -> bool:
        return any(item.ranged for item in self.items)

    @property
    def is_wide(self) -> bool:
        """Wider than asked for (a long case): it scrolls on any screen."""
        return self.width > self.asked_width

    @property
    def year_ticks(self) -> list[Tick]:
        return [tick for tick in self.ticks if tick.year]

    @property
    def svg(self) -> dict:
        grid_bottom = TOP + self.rows * ROW_HEIGHT
        today_x = self.today_x
        anchor = "middle"
        if today_x is not None and today_x < LEFT + 24:
            anchor = "start"
        elif today_x is not None and today_x > self.width - RIGHT - 24:
            anchor = "end"
        return {
            "font_size": FONT_SIZE,
            "axis_x1": _n(LEFT),
            "axis_x2": _n(self.width - RIGHT),
            "axis_y": _n(AXIS_Y),
            "tick_top": _n(AXIS_Y - 5),
            "tick_bottom": _n(AXIS_Y + 5),
            "year_label_y": _n(AXIS_Y - 10),
            "grid_bottom": _n(grid_bottom),
            "today_x": _n(today_x) if today_x is not None else "",
            "today_top": _n(AXIS_Y),
            "today_bottom": _n(grid_bottom + 4),
            "today_label_y": _n(grid_bottom + 18),
            "today_anchor": anchor,
        }


@dataclass
class _Entry:
    category: Category
    kind: str
    title: str
    start: datetime.date
    end: datetime.date
    precision: str
    ranged: bool
    upcoming: bool
    is_filing: bool
    order: int


def _display(obj, field: str = "kind") -> str:
    getter = getattr(obj, f"get_{field}_display", None)
    return str(getter()) if callable(getter) else str(getattr(obj, field, ""))


def _event_entry(event, today: datetime.date, order: int) -> _Entry:
    precision = getattr(event, "precision", DAY) or DAY
    day = event.date
    end_date = getattr(event, "end_date", None)
    if precision == MONTH:
        start = day.replace(day=1)
        end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    elif precision == YEAR:
        start, end = datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    else:
        precision = DAY
        start, end = day, max(end_date or day, day)
    return _Entry(
        category=CATEGORY[EVENT_CATEGORIES.get(event.kind, "other")],
        kind=_display(event),
        title=" ".join(str(event.title).split()),
        start=start,
        end=end,
        precision=precision,
        ranged=precision == DAY and end > start,
        # As Event.is_upcoming: a hearing under way counts until its last day.
        upcoming=(end_date or day) >= today,
        is_filing=False,
        order=order,
    )


def _filing_entry(filing, today: datetime.date, order: int) -> _Entry:
    return _Entry(
        category=CATEGORY[FILING_CATEGORIES[filing.kind]],
        kind=_display(filing),
        title=" ".join(str(filing.title).split()),
        start=filing.date,
        end=filing.date,
        precision=DAY,
        ranged=False,
        upcoming=filing.date >= today,
        is_filing=True,
        order=order,
    )


def _unrepresented(filings, events: list, event_entries: list[_Entry]) -> list:
    linked = {getattr(event, "filing_id", None) for event in events} - {None}
    same_day = {(entry.category.key, entry.start) for entry in event_entries}
    chosen = []
    for filing in filings:
        category = FILING_CATEGORIES.get(filing.kind)
        if not filing.date or category is None or filing.pk in linked or (category, filing.date) in same_day:
            continue
        chosen.append(filing)
    # Oldest first; the list order (latest first on the page) must not change the drawing.
    return sorted(chosen, key=lambda f: (f.date, f.pk or 0))


def shorten(text: str, limit: int = LABEL_CHARS[-1]) -> str:
    """`text` cut at a word to at most `limit` characters, "…" included."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and cut.rindex(" ") >= limit // 2:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.–-(") + "…"


def when(entry_start: datetime.date, entry_end: datetime.date, precision: str) -> str:
    """The date in words, for a tooltip: "26 January 2024", "11–12 January 2024", "October 2024, day not known"."""
    if precision == MONTH:
        return _("%(month)s, day not known") % {"month": date_format(entry_start, "F Y")}
    if precision == YEAR:
        return _("%(year)s, month not known") % {"year": entry_start.year}
    if entry_end <= entry_start:
        return date_format(entry_start, "j F Y")
    if (entry_start.year, entry_start.month) == (entry_end.year, entry_end.month):
        first = date_format(entry_start, "j")
    elif entry_start.year == entry_end.year:
        first = date_format(entry_start, "j F")
    else:
        first = date_format(entry_start, "j F Y")
    return f"{first}–{date_format(entry_end, 'j F Y')}"


Row = list[tuple[float, float]]


def _first_row(rows: list[Row], rightmost: list[float], extent: tuple[float, float]) -> int | None:
    """The first row whose items the extent clears, or None. Items come in the order of their dates, so most clear
    a row's right edge (`rightmost`) and need no look at each item, and one in the way is most likely the last."""
    left, right = extent
    for r, row in enumerate(rows):
        if left >= rightmost[r] + ROW_GAP:
            return r
        for a, b in reversed(row):
            if right + ROW_GAP > a and left < b + ROW_GAP:
                break
        else:
            return r
    return None


def _least_crowded_row(rows: list[Row], extent: tuple[float, float]) -> int:
    left, right = extent
    crowds = [sum(1 for a, b in row if right + ROW_GAP > a and left < b + ROW_GAP) for row in rows]
    return crowds.index(min(crowds))


def layout_timeline(
    events: Iterable,
    *,
    today: datetime.date,
    width: int = DEFAULT_WIDTH,
    filings: Iterable = (),
    name: str = "",
    id_prefix: str = "timeline",
) -> Timeline | None:
    """Where everything goes; None when there are no events (then there is no figure).

    `events` need date, precision, end_date, kind and title (Event instances do); `filings` date, kind,
    title and pk. Items keep the order of their dates, then the order given.
    """
    events = list(events)
    entries = [_event_entry(event, today, i) for i, event in enumerate(events)]
    if not entries:
        return None
    extra = _unrepresented(filings, events, entries)
    entries += [_filing_entry(filing, today, len(entries) + i) for i, filing in enumerate(extra)]
    entries.sort(key=lambda e: (e.start, e.order))

    first = min(entry.start for entry in entries)
    last = max(entry.end for entry in entries)
    year = datetime.timedelta(days=365)
    if first - year <= today < first:
        first = today
    elif last < today <= last + year:
        last = today
    span = (last - first).days + 1
    pad = datetime.timedelta(days=max(10, round(span * 0.03)))
    axis_start, axis_end = first - pad, last + datetime.timedelta(days=1) + pad
    days = (axis_end - axis_start).days
    inner = max(width - LEFT - RIGHT, math.ceil(days / 365.25 * MIN_PX_PER_YEAR))
    total_width = inner + LEFT + RIGHT
    per_day = inner / days

    def x_of(day: datetime.date) -> float:
        return LEFT + (day - axis_start).days * per_day

    # Long labels where there is room for them, shorter ones where the case is crowded.
    for label_chars in LABEL_CHARS:
        placed = _place(entries, x_of, per_day, total_width, label_chars)
        if max(row for _, row, *_rest in placed) < COMFORTABLE_ROWS and all(p[5] for p in placed):
            break

    used_rows = max(row for _, row, *_rest in placed) + 1
    items = tuple(
        Item(
            category=entry.category,
            kind=entry.kind,
            title=entry.title,
            label=label,
            when=when(entry.start, entry.end, entry.precision),
            start=entry.start,
            end=entry.end,
            upcoming=entry.upcoming,
            approximate=entry.precision != DAY,
            ranged=entry.ranged,
            is_filing=entry.is_filing,
            row=row,
            x=round(x, 1),
            x0=round(x0, 1),
            x1=round(x1, 1),
            y=TOP + row * ROW_HEIGHT + ROW_HEIGHT / 2,
            label_x=round(label_x, 1),
            label_before=label_before,
        )
        for entry, row, x, x0, x1, label, label_x, label_before in placed
    )
    ticks = _ticks(axis_start, axis_end, x_of, per_day)
    today_x = round(x_of(today) + per_day / 2, 1) if axis_start <= today < axis_end else None
    timeline = Timeline(
        width=total_width,
        height=TOP + used_rows * ROW_HEIGHT + BOTTOM,
        start=axis_start,
        end=axis_end,
        px_per_day=per_day,
        items=items,
        ticks=tuple(ticks),
        rows=used_rows,
        today=today,
        today_x=today_x,
        title="",
        desc="",
        asked_width=width,
        id_prefix=id_prefix,
    )
    return _described(timeline, name=name)


def _place(entries: list[_Entry], x_of, per_day: float, total_width: int, label_chars: int) -> list[tuple]:
    """Each entry's row, marker, bar and label: first fit, row by row, in the order of the dates."""
    rows: list[Row] = [[] for _ in range(MAX_ROWS)]
    rightmost = [-math.inf] * MAX_ROWS  # each row's right edge
    placed = []
    for entry in entries:
        if entry.ranged or entry.precision != DAY:
            x0 = x_of(entry.start)
            x1 = max(x_of(entry.end + datetime.timedelta(days=1)), x0 + MIN_BAR)
        else:
            x0 = x1 = x_of(entry.start) + per_day / 2  # the middle of the day
        # A bar has its marker at its first day; a span has it in its middle.
        x = x0 if entry.ranged else (x0 + x1) / 2
        mark_left, mark_right = min(x0, x - MARKER_RADIUS), max(x1, x + MARKER_RADIUS)
        label = shorten(entry.title, label_chars)
        text_width = len(label) * CHAR_WIDTH
        label_before = mark_right + LABEL_GAP + text_width > total_width - 2 and (
            mark_left - LABEL_GAP - text_width >= 2
        )
        if label_before:
            label_x = mark_left - LABEL_GAP
            extent = (label_x - text_width, mark_right)
        else:
            label_x = mark_right + LABEL_GAP
            extent = (mark_left, label_x + text_width)
        row = _first_row(rows, rightmost, extent)
        if row is None:
            label, extent = "", (mark_left, mark_right)
            row = _first_row(rows, rightmost, extent)
            if row is None:  # a crowd on one day: the row least crowded there
                row = _least_crowded_row(rows, extent)
        rows[row].append(extent)
        rightmost[row] = max(rightmost[row], extent[1])
        placed.append((entry, row, x, x0, x1, label, label_x, label_before))
    return placed


def _ticks(axis_start, axis_end, x_of, per_day) -> list[Tick]:
    ticks = []
    per_month = per_day * 30.44
    month = datetime.date(axis_start.year, axis_start.month, 1)
    while month < axis_end:
        if month >= axis_start:
            if month.month == 1:
                ticks.append(Tick(month, round(x_of(month), 1), str(month.year), year=True))
            elif per_month >= MONTH_TICKS_FROM:
                label = date_format(month, "M") if per_month >= MONTH_LABELS_FROM else ""
                ticks.append(Tick(month, round(x_of(month), 1), label, year=False))
        month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    first_year = next((tick for tick in ticks if tick.year), None)
    if first_year is None or first_year.x - LEFT >= YEAR_LABEL_ROOM:
        # Name the year the axis starts in, at its left edge, without a tick of its own.
        ticks.insert(0, Tick(axis_start, float(LEFT) - 4, str(axis_start.year), year=True, line=False))
    if per_month >= MONTH_LABELS_FROM:
        # A month name right after a year's label would run into it.
        ticks = [t for t in ticks if t.year or not any(y.year and 0 < t.x - y.x < 44 for y in ticks)]
    return ticks


def _described(timeline: Timeline, *, name: str) -> Timeline:
    items = timeline.items
    events = [item for item in items if not item.is_filing]
    counts = "; ".join(
        f"{category.label}: {sum(item.category.key == category.key for item in items)}"
        for category in timeline.categories
    )
    first, last = min(item.start for item in items), max(item.end for item in items)
    parts = [
        ngettext(
            "%(count)d event from %(first)s to %(last)s, drawn on a time axis with a tick for each year.",
            "%(count)d events from %(first)s to %(last)s, drawn on a time axis with a tick for each year.",
            len(events),
        )
        % {"count": len(events), "first": date_format(first, "j F Y"), "last": date_format(last, "j F Y")},
        _("By kind: %(counts)s.") % {"counts": counts},
    ]
    upcoming = sum(item.upcoming for item in items)
    if upcoming:
        parts.append(
            ngettext("%(count)d of them is still to come.", "%(count)d of them are still to come.", upcoming)
            % {"count": upcoming}
        )
    filings = len(items) - len(events)
    if filings:
        parts.append(
            ngettext(
                "%(count)d document with no event of its own is drawn too; the list of documents gives it.",
                "%(count)d documents with no event of their own are drawn too; the list of documents gives them.",
                filings,
            )
            % {"count": filings}
        )
    parts.append(_("The list that follows gives every event with its date and source."))
    title = _("Timeline of %(name)s") % {"name": name} if name else _("Timeline of the proceedings")
    return Timeline(**{**timeline.__dict__, "title": title, "desc": " ".join(parts)})


def timeline_svg(
    events: Iterable,
    *,
    today: datetime.date,
    width: int = DEFAULT_WIDTH,
    filings: Iterable = (),
    name: str = "",
    describedby: str = "",
) -> SafeString:
    """The <svg> element for `events`, or "" when there are none."""
    timeline = layout_timeline(events, today=today, width=width, filings=filings, name=name)
    if timeline is None:
        return mark_safe("")  # noqa: S308 - empty
    return render_svg(timeline, describedby=describedby)


def render_svg(timeline: Timeline, *, describedby: str = "") -> SafeString:
    """The <svg> element, written here rather than by a template: a figure is hundreds of small nodes, and a
    template spent a tenth of the case page's time on them. Every piece of text goes through escape()."""
    p = escape(timeline.id_prefix)
    s = timeline.svg
    width, height = timeline.width, timeline.height
    described = f"{p}-desc {escape(describedby)}" if describedby else f"{p}-desc"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tl__svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="{s["font_size"]}" aria-labelledby="{p}-title" '
        f'aria-describedby="{described}" focusable="false">',
        f'<title id="{p}-title">{escape(timeline.title)}</title><desc id="{p}-desc">{escape(timeline.desc)}</desc>',
        '<g class="tl__axis" fill="#1b1f24">',
    ]
    year_label_y = s["year_label_y"]
    for tick in timeline.ticks:
        x, label_x, label = _n(tick.x), _n(tick.x + 4), escape(tick.label)
        if tick.year:
            if tick.line:
                out.append(f'<line x1="{x}" x2="{x}" y1="{s["tick_top"]}" y2="{s["grid_bottom"]}" stroke="#c3cad3"/>')
            out.append(f'<text x="{label_x}" y="{year_label_y}" font-weight="700">{label}</text>')
        else:
            out.append(f'<line x1="{x}" x2="{x}" y1="{s["axis_y"]}" y2="{s["tick_bottom"]}" stroke="#4f5863"/>')
            if label:
                out.append(f'<text x="{label_x}" y="{year_label_y}" font-size="12" fill="#4f5863">{label}</text>')
    out.append(
        f'<line x1="{s["axis_x1"]}" x2="{s["axis_x2"]}" y1="{s["axis_y"]}" y2="{s["axis_y"]}" stroke="#4f5863" '
        'stroke-width="1.5"/></g>'
    )
    if today_x := s["today_x"]:
        out.append(
            f'<g class="tl__today" fill="#a4262c" stroke="#a4262c"><line x1="{today_x}" x2="{today_x}" '
            f'y1="{s["today_top"]}" y2="{s["today_bottom"]}" stroke-width="2" stroke-dasharray="5 3"/>'
            f'<text x="{today_x}" y="{s["today_label_y"]}" stroke="none" font-weight="700" '
            f'text-anchor="{s["today_anchor"]}">{escape(_("Today"))}</text></g>'
        )
    out.append('<g class="tl__items" stroke="#1b1f24" stroke-width="1.25" fill="#1b1f24">')
    for item in timeline.items:
        c, colour = item.svg, escape(item.category.colour)
        classes = f"tl__item tl__item--{escape(item.category.key)}"
        if item.upcoming:
            classes += " tl__item--upcoming"
        if item.approximate:
            classes += " tl__item--approximate"
        faded = ' fill-opacity="0.3" stroke-dasharray="3 2"' if item.upcoming else ""
        out.append(f'<g class="{classes}"><title>{escape(item.tooltip)}</title>')
        if item.approximate:
            out.append(
                f'<rect x="{c["x0"]}" y="{c["span_y"]}" width="{c["width"]}" height="16" rx="3" fill="{colour}" '
                'fill-opacity="0.2" stroke="#4f5863" stroke-width="1" stroke-dasharray="1.5 2"/>'
            )
        if item.ranged:
            out.append(
                f'<rect x="{c["x0"]}" y="{c["bar_y"]}" width="{c["width"]}" height="10" rx="2" fill="{colour}"{faded}/>'
            )
        out.append(f'<path transform="translate({c["x"]} {c["y"]})" d="{escape(item.shape)}" fill="{colour}"{faded}/>')
        if item.label:
            anchor = ' text-anchor="end"' if item.label_before else ""
            italic = ' font-style="italic"' if item.upcoming else ""
            out.append(
                f'<text x="{c["label_x"]}" y="{c["label_y"]}" stroke="none"{anchor}{italic}>{escape(item.label)}</text>'
            )
        out.append("</g>")
    out.append("</g></svg>")
    return mark_safe("".join(out))  # noqa: S308 - every piece of text above is escaped
