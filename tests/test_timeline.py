"""The timeline chart: layout (a pure function of the events and today) and the SVG it renders to."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from cases.models import Event, Filing
from cases.timeline import (
    CATEGORIES,
    DEFAULT_WIDTH,
    LABEL_CHARS,
    MAX_ROWS,
    MIN_PX_PER_YEAR,
    layout_timeline,
    render_svg,
    shorten,
    timeline_svg,
)

TODAY = datetime.date(2025, 6, 2)
SVG = "{http://www.w3.org/2000/svg}"
XSS = "<img src=x onerror=alert(1)>"
D = datetime.date


def event(day, kind=Event.Kind.ORDER, title="An event", *, end=None, precision=Event.Precision.DAY, filing_id=None):
    """An unsaved Event: the layout needs no database."""
    return Event(date=day, end_date=end, kind=kind, title=title, precision=precision, filing_id=filing_id)


def filing(pk, day, kind=Filing.Kind.ORDER, title="A document"):
    return Filing(pk=pk, date=day, kind=kind, title=title)


def layout(events, **options):
    options.setdefault("today", TODAY)
    return layout_timeline(events, **options)


def x_of(timeline, day):
    """Where a day starts on the axis, from the timeline's own scale."""
    return 12 + (day - timeline.start).days * timeline.px_per_day


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 - our own output


# Empty


def test_no_events_no_figure():
    assert layout([]) is None
    assert timeline_svg([], today=TODAY) == ""


def test_filings_alone_make_no_figure():
    """The figure needs the event list as its text equivalent."""
    assert layout([], filings=[filing(1, D(2024, 1, 26))]) is None


# Axis


def test_the_axis_covers_every_item_with_a_margin():
    timeline = layout([event(D(2020, 3, 1)), event(D(2021, 9, 30))], today=D(2030, 1, 1))
    assert timeline.start < D(2020, 3, 1)
    assert timeline.end > D(2021, 9, 30)
    assert (D(2020, 3, 1) - timeline.start).days >= 10
    assert timeline.today_x is None  # today is years away: the axis does not reach out to it
    assert timeline.width == DEFAULT_WIDTH
    xs = [item.x for item in timeline.items]
    assert 12 < xs[0] < xs[1] < DEFAULT_WIDTH - 12


def test_the_axis_reaches_today_within_a_year_and_draws_it():
    timeline = layout([event(D(2024, 10, 1)), event(D(2025, 1, 10))], today=TODAY)
    assert timeline.start < D(2024, 10, 1) and timeline.end > TODAY
    assert timeline.today_x == pytest.approx(x_of(timeline, TODAY) + timeline.px_per_day / 2, abs=0.1)
    assert timeline.items[-1].x < timeline.today_x

    ahead = layout([event(D(2025, 12, 1))], today=TODAY)  # the case's first step is still ahead
    assert ahead.start <= TODAY and ahead.today_x is not None


def test_one_year_tick_a_year_at_new_year():
    timeline = layout([event(D(2020, 3, 15)), event(D(2023, 6, 1))], today=D(2030, 1, 1))
    years = [tick for tick in timeline.year_ticks if tick.line]
    assert [tick.label for tick in years] == ["2021", "2022", "2023"]
    for tick in years:
        assert tick.date == D(int(tick.label), 1, 1)
        assert tick.x == pytest.approx(x_of(timeline, tick.date), abs=0.1)
    # The year the axis starts in is named at its left edge, without a tick.
    assert [tick.label for tick in timeline.year_ticks if not tick.line] == ["2020"]


def test_a_short_case_gets_month_ticks_named():
    timeline = layout([event(D(2025, 2, 10)), event(D(2025, 11, 1))], today=D(2025, 11, 2))
    months = [tick for tick in timeline.ticks if not tick.year]
    assert len(months) >= 9
    assert "Jun" in [tick.label for tick in months]


def test_a_long_case_is_drawn_wider_and_scrolls():
    timeline = layout([event(D(1993, 3, 20)), event(D(2024, 2, 26))], today=D(2025, 6, 2))
    years = (timeline.end - timeline.start).days / 365.25
    assert timeline.width >= years * MIN_PX_PER_YEAR
    assert timeline.is_wide
    assert not layout([event(D(2024, 3, 20))]).is_wide


# Items


def test_hearing_bars_are_as_long_as_the_hearing():
    two_days = event(D(2024, 1, 11), Event.Kind.HEARING, end=D(2024, 1, 12))
    six_days = event(D(2024, 6, 3), Event.Kind.HEARING, end=D(2024, 6, 8))
    timeline = layout([two_days, six_days], today=D(2024, 7, 1))
    assert timeline.px_per_day > 3
    short, long = (item for item in timeline.items if item.ranged)
    assert short.category.key == long.category.key == "hearing"
    assert long.span_width == pytest.approx(6 * timeline.px_per_day, abs=0.2)
    assert short.span_width == pytest.approx(2 * timeline.px_per_day, abs=0.2)
    assert long.x0 == pytest.approx(x_of(timeline, D(2024, 6, 3)), abs=0.1)
    assert long.x == long.x0  # the marker stands at the first day
    assert long.when == "3–8 June 2024"


def test_upcoming_items_are_hollow_and_dashed():
    timeline = layout(
        [
            event(D(2025, 1, 10), title="Past"),
            event(D(2025, 5, 30), Event.Kind.HEARING, "Under way", end=D(2025, 6, 3)),
            event(D(2025, 9, 1), Event.Kind.DEADLINE, "Ahead"),
        ]
    )
    assert [(item.title, item.upcoming) for item in timeline.items] == [
        ("Past", False),
        ("Under way", True),  # as Event.is_upcoming: until its last day
        ("Ahead", True),
    ]
    svg = render_svg(timeline)
    groups = re.findall(r'<g class="tl__item[^"]*">.*?</g>', svg)
    assert len(groups) == 3
    assert "tl__item--upcoming" not in groups[0] and "stroke-dasharray" not in groups[0]
    for group in groups[1:]:
        assert "tl__item--upcoming" in group
        assert 'fill-opacity="0.3" stroke-dasharray="3 2"' in group
        assert 'font-style="italic"' in group
    assert "(upcoming)" in groups[2]


def test_month_and_year_precision_are_spans_marked_approximate():
    month = event(D(2024, 10, 1), Event.Kind.INTERVENTION, "Bolivia", precision=Event.Precision.MONTH)
    year = event(D(2023, 1, 1), Event.Kind.OTHER, "Something", precision=Event.Precision.YEAR)
    timeline = layout([month, year, event(D(2024, 1, 26))])
    by_title = {item.title: item for item in timeline.items}
    bolivia, something = by_title["Bolivia"], by_title["Something"]
    assert (bolivia.start, bolivia.end) == (D(2024, 10, 1), D(2024, 10, 31))
    assert (something.start, something.end) == (D(2023, 1, 1), D(2023, 12, 31))
    assert bolivia.approximate and something.approximate and not bolivia.ranged
    assert bolivia.span_width == pytest.approx(31 * timeline.px_per_day, abs=0.2)
    assert bolivia.x == pytest.approx((bolivia.x0 + bolivia.x1) / 2, abs=0.1)  # in the middle of the month
    assert bolivia.when == "October 2024, day not known"
    assert something.when == "2023, month not known"
    svg = render_svg(timeline)
    assert svg.count('stroke-dasharray="1.5 2"') == 2
    assert "October 2024, day not known – Intervention: Bolivia" in svg


def test_labels_that_would_collide_go_to_the_next_row():
    same_day = [event(D(2024, 1, 26), title=f"Order number {n}") for n in range(3)]
    far_apart = [event(D(2019, 1, 1), title="Long ago"), event(D(2029, 1, 1), title="Far ahead")]
    timeline = layout(same_day + far_apart)
    rows = {item.title: item.row for item in timeline.items}
    assert sorted(rows[f"Order number {n}"] for n in range(3)) == [0, 1, 2]
    assert rows["Long ago"] == rows["Far ahead"] == 0
    assert timeline.rows == 3
    # No two labelled items share a row where their extents meet.
    for item in timeline.items:
        for other in timeline.items:
            if item is not other and item.row == other.row:
                assert abs(item.x - other.x) > 100


def test_a_crowd_keeps_every_marker_but_not_every_label():
    crowd = [event(D(2024, 1, 26), title=f"Order number {n}") for n in range(MAX_ROWS + 5)]
    timeline = layout(crowd)
    assert len(timeline.items) == MAX_ROWS + 5
    assert timeline.rows == MAX_ROWS
    assert sum(1 for item in timeline.items if not item.label) == 5
    svg = render_svg(timeline)
    assert svg.count("<title>") == MAX_ROWS + 5  # each marker's tooltip


def test_labels_are_long_when_there_is_room_and_short_when_crowded():
    title = "Pre-Trial Chamber I issues a warrant of arrest under seal for the suspect"
    sparse = layout([event(D(2024, 1, 26), title=title)])
    assert sparse.items[0].label == shorten(title, LABEL_CHARS[0])
    crowded = layout([event(D(2024, 1, 26) + datetime.timedelta(days=n), title=title) for n in range(12)])
    assert {item.label for item in crowded.items} == {shorten(title, LABEL_CHARS[-1])}
    assert shorten("Order indicating provisional measures", 30) == "Order indicating provisional…"
    assert shorten("Short", 30) == "Short"


def test_near_the_right_edge_a_label_goes_left_of_its_marker():
    timeline = layout([event(D(2020, 1, 1), title="First"), event(D(2024, 1, 1), title="A rather long last label")])
    last = timeline.items[-1]
    assert last.label_before and last.label_x < last.x
    assert 'text-anchor="end"' in render_svg(timeline)


def test_shapes_and_colours_tell_the_kinds_apart():
    assert len({category.shape for category in CATEGORIES}) == len(CATEGORIES)
    assert len({category.colour for category in CATEGORIES}) == len(CATEGORIES)
    kinds = [Event.Kind.FILED, Event.Kind.HEARING, Event.Kind.ORDER, Event.Kind.DEADLINE, Event.Kind.PRESS_RELEASE]
    timeline = layout([event(D(2024, 1, 1 + i), kind) for i, kind in enumerate(kinds)])
    assert [category.key for category in timeline.categories] == ["filing", "hearing", "decision", "deadline", "other"]
    assert [item.kind for item in timeline.items] == ["Filed", "Hearing", "Order", "Deadline", "Press release"]


def test_filings_without_an_event_of_their_own_are_drawn_once():
    events = [
        event(D(2024, 1, 26), Event.Kind.ORDER, "Order indicating provisional measures", filing_id=1),
        event(D(2024, 3, 28), Event.Kind.ORDER, "Order modifying the Order"),
    ]
    filings = [
        filing(1, D(2024, 1, 26), title="Order of 26 January 2024"),  # the event links to it
        filing(2, D(2024, 3, 28), title="Order of 28 March 2024"),  # an order on the event's day
        filing(3, D(2024, 5, 24), title="Order of 24 May 2024"),  # no event: drawn
        filing(4, D(2024, 5, 24), Filing.Kind.PRESS_RELEASE, "Press release"),  # accessory: not drawn
        filing(5, None, title="Undated"),
        filing(6, D(2024, 2, 1), Filing.Kind.WRITTEN_PLEADING, "Memorial"),
    ]
    timeline = layout(events, filings=filings)
    drawn = [(item.title, item.is_filing) for item in timeline.items]
    assert drawn == [
        ("Order indicating provisional measures", False),
        ("Memorial", True),
        ("Order modifying the Order", False),
        ("Order of 24 May 2024", True),
    ]
    assert "2 documents with no event of their own are drawn too" in timeline.desc


# The SVG


def test_the_svg_is_an_accessible_image_with_title_desc_and_tooltips():
    events = [
        event(D(2024, 1, 11), Event.Kind.HEARING, "Public hearings", end=D(2024, 1, 12)),
        event(D(2024, 1, 26), Event.Kind.ORDER, "Order indicating provisional measures"),
    ]
    svg = timeline_svg(events, today=D(2024, 2, 1), name="South Africa v. Israel", describedby="timeline-list")
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "timeline-title"
    assert root.get("aria-describedby") == "timeline-desc timeline-list"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert root.find(f"{SVG}title").text == "Timeline of South Africa v. Israel"
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("2 events from 11 January 2024 to 26 January 2024")
    assert "Hearing: 1; Order or decision: 1" in desc
    tooltips = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class", "").startswith("tl__item ")]
    assert tooltips == [
        "11–12 January 2024 – Hearing: Public hearings",
        "26 January 2024 – Order: Order indicating provisional measures",
    ]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "2024" in texts and "Today" in texts
    assert "Public hearings" in texts


def test_hostile_titles_are_escaped_in_the_svg():
    svg = timeline_svg([event(D(2024, 1, 26), title=XSS)], today=TODAY, name=XSS)
    assert XSS not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg
    root = parse(svg)  # still well-formed XML
    assert root.find(f"{SVG}title").text == f"Timeline of {XSS}"
    assert not root.findall(f".//{SVG}img") and not root.findall(".//img")
    quoted = timeline_svg([event(D(2024, 1, 26), title='"><script>x</script>')], today=TODAY)
    assert "<script>" not in quoted


def test_output_is_deterministic_and_never_localised():
    events = [
        event(D(2024, 1, 11), Event.Kind.HEARING, "Hearings", end=D(2024, 1, 12)),
        event(D(2024, 10, 1), Event.Kind.INTERVENTION, "Bolivia", precision=Event.Precision.MONTH),
        event(D(2026, 3, 12), Event.Kind.DEADLINE, "Counter-Memorial"),
    ]
    first = timeline_svg(events, today=TODAY)
    assert first == timeline_svg(list(events), today=TODAY)
    with translation.override("fr"):
        french = timeline_svg(events, today=TODAY)
    numbers = re.findall(r'\s(?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', french)
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d)?", n) for n in numbers)
    assert re.findall(r'\s(?:x|y|width)="([^"]*)"', first) == re.findall(r'\s(?:x|y|width)="([^"]*)"', french)
