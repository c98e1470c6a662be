"""Cite this: the known citations exactly, the download formats parsed back, the views, and hostile data."""

import datetime
import json
import re
from urllib.parse import parse_qsl

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from cases import citation_urls
from cases.citations import (
    BLUEBOOK,
    OSCOLA,
    case_citation,
    citation_meta,
    citations,
    cite_case,
    cite_filing,
    coins,
    coins_html,
    csl_item,
    filing_citation,
    filing_citation_html,
    icc_chamber,
    icj_phase,
    to_bibtex,
    to_csl_json,
    to_ris,
)
from cases.models import Case, Filing, Participation
from tests.factories import CaseFactory, CourtFactory, FilingFactory, ParticipationFactory, PartyFactory

pytestmark = pytest.mark.django_db

ACCESSED = datetime.date(2026, 5, 1)
GAZA_ORDER_URL = "https://www.icj-cij.org/sites/default/files/case-related/192/192-20240126-ord-01-00-en.pdf"
GAZA_TITLE = "Application of the Convention on the Prevention and Punishment of the Crime of Genocide in the Gaza Strip"
HOSTILE = "<script>alert(1)</script> & {x} 50% $5 #1 a_b \\ ~ ^"


@pytest.fixture
def icj():
    return CourtFactory(code="ICJ", name_en="International Court of Justice", website="https://www.icj-cij.org/")


@pytest.fixture
def icc():
    return CourtFactory(code="ICC", name_en="International Criminal Court", website="https://www.icc-cpi.int/")


def _contentious(court, title, applicant, respondent, **fields):
    case = CaseFactory(court=court, title_en=title, **fields)
    for (name, abbreviation), role in ((applicant, Participation.Role.APPLICANT), (respondent, "respondent")):
        party = PartyFactory(name=name, abbreviation=abbreviation)
        ParticipationFactory(case=case, party=party, role=role)
    return case


@pytest.fixture
def corfu(icj):
    case = _contentious(
        icj,
        "Corfu Channel (United Kingdom v. Albania)",
        ("United Kingdom", "U.K."),
        ("Albania", "Alb."),
        slug="corfu-channel",
        reference="1",
        short_title_en="Corfu Channel",
        status=Case.Status.CONCLUDED,
        instituted_on=datetime.date(1947, 5, 22),
        official_url="https://www.icj-cij.org/case/1",
    )
    return FilingFactory(
        case=case,
        title="Judgment (Merits)",
        kind=Filing.Kind.JUDGMENT,
        date=datetime.date(1949, 4, 9),
        reports_year=1949,
        reports_page=4,
        url="https://www.icj-cij.org/sites/default/files/case-related/1/001-19490409-JUD-01-00-EN.pdf",
    )


@pytest.fixture
def gaza_order(icj):
    case = _contentious(
        icj,
        f"{GAZA_TITLE} (South Africa v. Israel)",
        ("South Africa", "S. Afr."),
        ("Israel", "Isr."),
        slug="south-africa-v-israel-gaza",
        reference="192",
        official_url="https://www.icj-cij.org/case/192",
        instituted_on=datetime.date(2023, 12, 29),
    )
    return FilingFactory(
        case=case,
        title="Order of 26 January 2024 (Request for the indication of provisional measures)",
        kind=Filing.Kind.ORDER,
        date=datetime.date(2024, 1, 26),
        reference="192-20240126-ORD-01-00-EN",
        url=GAZA_ORDER_URL,
    )


@pytest.fixture
def lubanga(icc):
    case = CaseFactory(
        court=icc,
        kind=Case.Kind.CASE,
        stage="trial",
        reference="ICC-01/04-01/06",
        title_en="The Prosecutor v. Thomas Lubanga Dyilo",
        short_title_en="Lubanga",
        slug="prosecutor-v-lubanga",
        official_url="https://www.icc-cpi.int/drc/lubanga",
    )
    return FilingFactory(
        case=case,
        title="Judgment pursuant to Article 74 of the Statute",
        kind=Filing.Kind.JUDGMENT,
        date=datetime.date(2012, 3, 14),
        reference="ICC-01/04-01/06-2842",
        chamber="Trial Chamber I",
        url="https://www.icc-cpi.int/sites/default/files/CourtRecords/CR2012_03942.PDF",
    )


# --- OSCOLA and Bluebook -----------------------------------------------------------------------------------


def test_corfu_channel_oscola(corfu):
    citation = cite_filing(corfu, OSCOLA, accessed=ACCESSED)
    assert citation.text == "Corfu Channel (United Kingdom v Albania) (Merits) [1949] ICJ Rep 4"
    assert citation.italic == "Corfu Channel (United Kingdom v Albania)"
    assert citation.html == "<i>Corfu Channel (United Kingdom v Albania)</i> (Merits) [1949] ICJ Rep 4"


def test_corfu_channel_bluebook(corfu):
    citation = cite_filing(corfu, BLUEBOOK)
    assert citation.text == "Corfu Channel (U.K. v. Alb.), Judgment, 1949 I.C.J. 4 (Apr. 9)"
    assert citation.html == "<i>Corfu Channel (U.K. v. Alb.)</i>, Judgment, 1949 I.C.J. 4 (Apr. 9)"


def test_the_phase_comes_from_the_title_unless_given(corfu):
    assert icj_phase(corfu) == "Merits"
    assert filing_citation(corfu, OSCOLA, phase="Compensation") == (
        "Corfu Channel (United Kingdom v Albania) (Compensation) [1949] ICJ Rep 4"
    )
    corfu.title = "Judgment of 25 March 1948 on the preliminary objection"
    assert icj_phase(corfu) == "Preliminary Objections"
    assert filing_citation(corfu, BLUEBOOK) == (
        "Corfu Channel (U.K. v. Alb.), Preliminary Objections, Judgment, 1949 I.C.J. 4 (Apr. 9)"
    )


def test_a_pinpoint_paragraph(corfu, gaza_order):
    assert (
        filing_citation(corfu, BLUEBOOK, para=23)
        == "Corfu Channel (U.K. v. Alb.), Judgment, 1949 I.C.J. 4, ¶ 23 (Apr. 9)"
    )
    assert filing_citation(corfu, OSCOLA, para=23).endswith("[1949] ICJ Rep 4, para 23")
    assert " Order of 26 January 2024) para 54 <https://" in filing_citation(gaza_order, OSCOLA, para=54)


def test_south_africa_v_israel_order_not_yet_in_the_reports(gaza_order):
    assert filing_citation(gaza_order, OSCOLA, accessed=ACCESSED) == (
        f"{GAZA_TITLE} (South Africa v Israel) (Provisional Measures, Order of 26 January 2024) "
        f"<{GAZA_ORDER_URL}> accessed 1 May 2026"
    )
    assert filing_citation(gaza_order, BLUEBOOK) == (
        f"{GAZA_TITLE} (S. Afr. v. Isr.), Provisional Measures, Order (Jan. 26, 2024), {GAZA_ORDER_URL}"
    )
    html = filing_citation_html(gaza_order, OSCOLA, accessed=ACCESSED)
    assert html.startswith(f"<i>{GAZA_TITLE} (South Africa v Israel)</i> (Provisional Measures, ")
    assert f'&lt;<a href="{GAZA_ORDER_URL}">{GAZA_ORDER_URL}</a>&gt; accessed 1 May 2026' in html


def test_accessed_defaults_to_today(gaza_order):
    with time_machine.travel(datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.UTC)):
        assert filing_citation(gaza_order, OSCOLA).endswith("accessed 1 May 2026")


def test_lubanga(lubanga):
    assert filing_citation(lubanga, OSCOLA) == (
        "Prosecutor v Lubanga (Judgment pursuant to Article 74 of the Statute) ICC-01/04-01/06-2842, T Ch I "
        "(14 March 2012)"
    )
    assert filing_citation(lubanga, BLUEBOOK) == (
        "Prosecutor v. Lubanga, Case No. ICC-01/04-01/06-2842, Judgment pursuant to Article 74 of the Statute "
        "(Mar. 14, 2012)"
    )
    assert cite_filing(lubanga, OSCOLA).italic == "Prosecutor v Lubanga"


def test_icc_situation(icc):
    situation = CaseFactory(
        court=icc, kind=Case.Kind.SITUATION, reference="ICC-01/18", title_en="Situation in the State of Palestine"
    )
    decision = FilingFactory(
        case=situation,
        title="Decision on Israel's challenge to jurisdiction under article 19(2) of the Statute",
        kind=Filing.Kind.DECISION,
        date=datetime.date(2024, 11, 21),
        reference="ICC-01/18-374",
        chamber="Pre-Trial Chamber I",
    )
    assert filing_citation(decision, OSCOLA) == (
        "Situation in the State of Palestine (Decision on Israel's challenge to jurisdiction under article 19(2) "
        "of the Statute) ICC-01/18-374, PTC I (21 November 2024)"
    )
    assert filing_citation(decision, BLUEBOOK) == (
        "Situation in the State of Palestine, No. ICC-01/18-374, Decision on Israel's challenge to jurisdiction "
        "under article 19(2) of the Statute (Nov. 21, 2024)"
    )


def test_icc_defendant_falls_back_to_the_title(lubanga):
    lubanga.case.short_title_en = ""
    assert cite_filing(lubanga, OSCOLA).italic == "Prosecutor v Thomas Lubanga Dyilo"


def test_icc_filing_without_a_record_number_cites_its_url(lubanga):
    lubanga.reference = ""
    assert filing_citation(lubanga, OSCOLA, accessed=ACCESSED) == (
        "Prosecutor v Lubanga (Judgment pursuant to Article 74 of the Statute) ICC-01/04-01/06, T Ch I "
        f"(14 March 2012) <{lubanga.url}> accessed 1 May 2026"
    )


@pytest.mark.parametrize(
    ("chamber", "short"),
    [
        ("Trial Chamber I", "T Ch I"),
        ("Trial Chamber VII", "T Ch VII"),
        ("Pre-Trial Chamber I", "PTC I"),
        ("pre-trial chamber ii", "PTC II"),
        ("Appeals Chamber", "A Ch"),
        ("Presidency", "Presidency"),
        ("", ""),
    ],
)
def test_icc_chamber_abbreviations(chamber, short):
    assert icc_chamber(chamber) == short


def test_other_courts_generic_form():
    echr = CourtFactory(code="ECHR", name_en="European Court of Human Rights")
    case = CaseFactory(
        court=echr,
        reference="53600/20",
        title_en="Verein KlimaSeniorinnen Schweiz and Others v. Switzerland",
        official_url="https://hudoc.echr.coe.int/eng?i=001-233206",
    )
    judgment = FilingFactory(
        case=case,
        title="Judgment (Grand Chamber)",
        kind=Filing.Kind.JUDGMENT,
        date=datetime.date(2024, 4, 9),
        url="https://hudoc.echr.coe.int/eng?i=001-233206",
    )
    assert filing_citation(judgment, OSCOLA, accessed=ACCESSED) == (
        "Verein KlimaSeniorinnen Schweiz and Others v Switzerland App no 53600/20 "
        "(ECtHR, Judgment (Grand Chamber), 9 April 2024) <https://hudoc.echr.coe.int/eng?i=001-233206> "
        "accessed 1 May 2026"
    )
    assert filing_citation(judgment, BLUEBOOK) == (
        "Verein KlimaSeniorinnen Schweiz and Others v. Switzerland, App. No. 53600/20, Judgment (Grand Chamber) "
        "(Eur. Ct. H.R. Apr. 9, 2024), https://hudoc.echr.coe.int/eng?i=001-233206"
    )
    judgment.title = "Grand Chamber judgment of 9 April 2024"  # the date is not said twice
    assert "(ECtHR, Grand Chamber judgment of 9 April 2024) <" in filing_citation(judgment, OSCOLA)


def test_a_case_as_a_whole(gaza_order, lubanga):
    gaza = gaza_order.case
    assert cite_case(gaza, OSCOLA, accessed=ACCESSED).italic == f"{GAZA_TITLE} (South Africa v Israel)"
    assert case_citation(gaza, OSCOLA, accessed=ACCESSED) == (
        f"{GAZA_TITLE} (South Africa v Israel) (ICJ, General List No 192) <https://www.icj-cij.org/case/192> "
        "accessed 1 May 2026"
    )
    assert case_citation(gaza, BLUEBOOK) == (
        f"{GAZA_TITLE} (S. Afr. v. Isr.), General List No. 192 (I.C.J. filed Dec. 29, 2023), "
        "https://www.icj-cij.org/case/192"
    )
    assert case_citation(lubanga.case, OSCOLA, accessed=ACCESSED) == (
        "Prosecutor v Lubanga (ICC-01/04-01/06) <https://www.icc-cpi.int/drc/lubanga> accessed 1 May 2026"
    )
    assert case_citation(lubanga.case, BLUEBOOK) == (
        "Prosecutor v. Lubanga, Case No. ICC-01/04-01/06 (Int'l Crim. Ct.), https://www.icc-cpi.int/drc/lubanga"
    )


def test_both_styles_at_once_render_in_a_template(corfu):
    found = citations(corfu, accessed=ACCESSED)
    assert list(found) == [OSCOLA, BLUEBOOK]
    rendered = Template("{{ c.html }}|{{ c }}").render(Context({"c": found[BLUEBOOK]}))
    assert rendered == (
        "<i>Corfu Channel (U.K. v. Alb.)</i>, Judgment, 1949 I.C.J. 4 (Apr. 9)|"
        "Corfu Channel (U.K. v. Alb.), Judgment, 1949 I.C.J. 4 (Apr. 9)"
    )


def test_unknown_style(corfu):
    with pytest.raises(ValueError, match="chicago"):
        cite_filing(corfu, "chicago")


def test_citations_do_not_query_again_once_loaded(gaza_order, django_assert_num_queries):
    case = Case.objects.for_page().get(pk=gaza_order.case_id)
    with django_assert_num_queries(0):
        for filing in case.filings.all():
            citations(filing, accessed=ACCESSED)
        citations(case, accessed=ACCESSED)


def test_the_seeded_order_of_26_january_2024(seeded):
    order = Filing.objects.select_related("case__court").get(url=GAZA_ORDER_URL)
    assert filing_citation(order, OSCOLA, accessed=ACCESSED) == (
        f"{GAZA_TITLE} (South Africa v Israel) (Provisional Measures, Order of 26 January 2024) "
        f"<{GAZA_ORDER_URL}> accessed 1 May 2026"
    )
    assert filing_citation(order, BLUEBOOK).startswith(f"{GAZA_TITLE} (S. Afr. v. Isr.), Provisional Measures, Order")


# --- Hostile data ------------------------------------------------------------------------------------------


@pytest.fixture
def hostile(icj):
    case = _contentious(
        icj,
        f"{HOSTILE}\nER  - \nTY  - JOUR (A v. B)",
        ("<b>A</b>", "<b>A.</b>"),
        ("B", ""),
        slug="hostile",
        short_title_en="}{",
        official_url="javascript:alert(1)",
    )
    return FilingFactory(
        case=case,
        title=f"Order {HOSTILE}\r\nER  - ",
        kind=Filing.Kind.ORDER,
        url="javascript:alert(2)",
    )


def test_hostile_titles_are_escaped_in_html(hostile):
    for citation in (*citations(hostile, accessed=ACCESSED).values(), *citations(hostile.case).values()):
        assert "<script>" in citation.text
        assert "<script>" not in citation.html
        assert "&lt;script&gt;" in citation.html
        assert "<b>" not in citation.html
        assert "href" not in citation.html  # a javascript: URL stays text
        assert "\n" not in citation.text
    assert "&lt;b&gt;A.&lt;/b&gt; v. B" in cite_filing(hostile, BLUEBOOK).html


def test_hostile_titles_in_bibtex(hostile):
    bib = to_bibtex(hostile, accessed=ACCESSED)
    depth = 0
    for ch in bib:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    for escaped in (r"\&", r"\%", r"\$", r"\#", r"a\_b", r"\textbraceleft{}x\textbraceright{}", r"\textbackslash{}"):
        assert escaped in bib
    assert r"\textasciitilde{}" in bib and r"\textasciicircum{}" in bib
    assert bib.count("\n@") == 0 and bib.startswith("@jurisdiction{icj-hostile-")


def test_hostile_titles_in_ris(hostile):
    lines = to_ris(hostile, accessed=ACCESSED).split("\r\n")
    assert lines[0] == "TY  - CASE" and lines[-2] == "ER  - " and lines[-1] == ""
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines[:-1])
    assert [line[:2] for line in lines].count("TY") == 1
    assert [line[:2] for line in lines].count("ER") == 1


def test_hostile_titles_in_meta_and_coins(hostile):
    rendered = Template('{% for n, v in meta %}<meta name="{{ n }}" content="{{ v }}">{% endfor %}').render(
        Context({"meta": citation_meta(hostile)})
    )
    assert "<script>" not in rendered
    assert "<script>" not in coins_html(hostile)
    assert '"' not in coins(hostile) and "<" not in coins(hostile)


# --- Downloads ---------------------------------------------------------------------------------------------


def test_bibtex(corfu, lubanga):
    bib = to_bibtex(corfu, accessed=ACCESSED)
    assert bib.startswith(f"@jurisdiction{{icj-corfu-channel-19490409-{corfu.pk},\n")
    assert "  title = {{Corfu Channel (United Kingdom v. Albania)}},\n" in bib
    assert "  type = {Judgment (Merits)},\n" in bib
    assert "  institution = {International Court of Justice},\n" in bib
    assert "  journaltitle = {I.C.J. Reports},\n  volume = {1949},\n  pages = {4},\n" in bib
    assert "  date = {1949-04-09},\n  year = {1949},\n" in bib
    assert f"  url = {{{corfu.url}}},\n  urldate = {{2026-05-01}}" in bib
    assert bib.endswith("}\n")
    assert to_bibtex(corfu, accessed=ACCESSED) == bib  # the key is stable
    assert "  number = {ICC-01/04-01/06-2842},\n" in to_bibtex(lubanga)
    assert to_bibtex(corfu.case).startswith("@jurisdiction{icj-corfu-channel,\n")


def test_ris(corfu):
    lines = to_ris(corfu, accessed=ACCESSED).split("\r\n")
    tags = dict(line.split("  - ", 1) for line in lines if line)
    assert lines[0] == "TY  - CASE"
    assert tags["TI"] == "Corfu Channel (United Kingdom v. Albania)"
    assert tags["M3"] == "Judgment (Merits)"
    assert tags["PB"] == "International Court of Justice"
    assert tags["DA"] == "1949/04/09/" and tags["PY"] == "1949"
    assert (tags["A2"], tags["VL"], tags["SP"]) == ("I.C.J. Reports", "1949", "4")
    assert tags["UR"] == corfu.url == tags["L1"]
    assert tags["Y2"] == "2026/05/01/"


def test_csl_json(corfu, lubanga):
    [item] = json.loads(to_csl_json(corfu, accessed=ACCESSED))
    assert item["type"] == "legal_case"
    assert item["title"] == "Corfu Channel (United Kingdom v. Albania)"
    assert item["genre"] == "Judgment (Merits)"
    assert item["authority"] == "International Court of Justice"
    assert item["issued"] == {"date-parts": [[1949, 4, 9]]}
    assert item["accessed"] == {"date-parts": [[2026, 5, 1]]}
    assert (item["container-title"], item["volume"], item["page"]) == ("I.C.J. Reports", "1949", "4")
    assert item["URL"] == corfu.url
    assert csl_item(lubanga)["number"] == "ICC-01/04-01/06-2842"
    case_item = csl_item(corfu.case)
    assert case_item["number"] == "General List No. 1"
    assert case_item["issued"] == {"date-parts": [[1947, 5, 22]]}
    assert "genre" not in case_item


def test_meta_tags(corfu, lubanga):
    meta = dict(citation_meta(corfu))
    assert meta["DC.type"] == "case"
    assert meta["citation_title"] == "Corfu Channel (United Kingdom v. Albania) (Judgment (Merits))"
    assert meta["citation_date"] == meta["citation_publication_date"] == "1949/04/09"
    assert meta["citation_publisher"] == "International Court of Justice"
    assert meta["citation_pdf_url"] == meta["citation_public_url"] == corfu.url
    assert meta["citation_volume"] == "1949" and meta["citation_firstpage"] == "4"
    assert dict(citation_meta(lubanga))["citation_technical_report_number"] == "ICC-01/04-01/06-2842"
    assert dict(citation_meta(lubanga))["citation_pdf_url"].endswith(".PDF")
    case_meta = dict(citation_meta(corfu.case))
    assert case_meta["citation_title"] == "Corfu Channel (United Kingdom v. Albania)"
    assert case_meta["citation_public_url"] == "https://www.icj-cij.org/case/1"
    assert "citation_pdf_url" not in case_meta


def test_no_pdf_url_for_a_page(gaza_order):
    gaza_order.url = "https://icj-cij.org/node/204091"
    assert "citation_pdf_url" not in dict(citation_meta(gaza_order))


def test_coins(lubanga):
    value = coins(lubanga)
    fields = dict(parse_qsl(value))
    assert fields["ctx_ver"] == "Z39.88-2004"
    assert fields["rft_val_fmt"] == "info:ofi/fmt:kev:mtx:dc"
    assert fields["rft.type"] == "case"
    assert (
        fields["rft.title"] == "The Prosecutor v. Thomas Lubanga Dyilo (Judgment pursuant to Article 74 of the Statute)"
    )
    assert fields["rft.publisher"] == "International Criminal Court"
    assert fields["rft.date"] == "2012-03-14"
    assert fields["rft.identifier"] == lubanga.url
    assert " " not in value
    assert coins_html(lubanga).startswith('<span class="Z3988" title="url_ver=Z39.88-2004&amp;ctx_ver=')


# --- Download views ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("bib", "application/x-bibtex"),
        ("ris", "application/x-research-info-systems"),
        ("json", "application/vnd.citationstyles.csl+json"),
    ],
)
def test_download_views(client, corfu, fmt, content_type, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(f"/cases/corfu-channel/cite.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="icj-corfu-channel.{fmt}"'

    url = reverse("cases:filing_cite", args=["corfu-channel", corfu.pk, fmt])
    assert url == f"/cases/corfu-channel/filings/{corfu.pk}/cite.{fmt}"
    with django_assert_num_queries(1):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="icj-corfu-channel-19490409-{corfu.pk}.{fmt}"'
    assert "Corfu Channel" in response.content.decode()


def test_json_download_parses(client, lubanga):
    response = client.get(reverse("cases:filing_cite", args=[lubanga.case.slug, lubanga.pk, "json"]))
    assert json.loads(response.content)[0]["number"] == "ICC-01/04-01/06-2842"


def test_download_404s(client, corfu, lubanga):
    assert client.get("/cases/no-such-case/cite.bib").status_code == 404
    assert client.get(f"/cases/corfu-channel/filings/{lubanga.pk}/cite.bib").status_code == 404
    assert client.get("/cases/corfu-channel/filings/999999/cite.bib").status_code == 404
    assert client.get("/cases/corfu-channel/cite.pdf").status_code == 404
    assert client.post("/cases/corfu-channel/cite.bib").status_code == 405


def test_an_old_slug_redirects_for_good(client, corfu):
    case = corfu.case
    case.slug = "corfu-channel-uk-v-albania"
    case.save()
    response = client.get("/cases/corfu-channel/cite.ris")
    assert response.status_code == 301
    assert response["Location"] == "/cases/corfu-channel-uk-v-albania/cite.ris"
    response = client.get(f"/cases/corfu-channel/filings/{corfu.pk}/cite.bib")
    assert response.status_code == 301
    assert response["Location"] == f"/cases/corfu-channel-uk-v-albania/filings/{corfu.pk}/cite.bib"


def test_cite_urls(corfu):
    assert citation_urls.cite_urls(corfu.case) == {
        "bib": "/cases/corfu-channel/cite.bib",
        "ris": "/cases/corfu-channel/cite.ris",
        "json": "/cases/corfu-channel/cite.json",
    }
    assert citation_urls.cite_urls(corfu)["ris"] == f"/cases/corfu-channel/filings/{corfu.pk}/cite.ris"


def test_a_number_the_title_already_gives_is_not_repeated():
    court = CourtFactory(code="IACtHR", name_en="Inter-American Court of Human Rights")
    opinion = CaseFactory(
        court=court,
        kind=Case.Kind.ADVISORY,
        reference="OC-32/25",
        title_en="Advisory Opinion OC-32/25: Climate Emergency and Human Rights",
        official_url="",
        instituted_on=None,
    )
    assert case_citation(opinion, BLUEBOOK) == (
        "Advisory Opinion OC-32/25: Climate Emergency and Human Rights (Inter-Am. Ct. H.R.)"
    )
    opinion.reference = "32"
    assert (
        case_citation(opinion, OSCOLA) == "Advisory Opinion OC-32/25: Climate Emergency and Human Rights (IACtHR, 32)"
    )
