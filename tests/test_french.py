"""The site in French: the pages a reader sees, the language switcher, and a complete, compiled catalogue."""

import datetime
import gettext
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases.models import Case, Event, Filing, Participation, Stage, Warrant
from tests.factories import (
    CaseFactory,
    CourtFactory,
    EventFactory,
    FilingFactory,
    ParticipationFactory,
    PartyFactory,
    PersonFactory,
    WarrantFactory,
)

BASE_DIR = Path(django_settings.BASE_DIR)
PO = BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
NBSP = "\u00a0"
# What a French reader sees on every page.
FR_LAYOUT = ["Aller au contenu principal", "Suivi des procédures", "Juridictions", "font foi"]


# The catalogue, read by hand (no polib) ------------------------------------------------------


def _unquote(text):
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text)


def read_po(path=PO):
    """Every entry of a .po file: {"msgid", "msgid_plural", "msgstr" (a dict: index -> text), "flags", "line"}."""
    entries, entry, field = [], None, None

    def new_entry(line):
        return {"msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set(), "line": line, "obsolete": False}

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            entry, field = None, None
            continue
        if entry is None:
            entry = new_entry(number)
            entries.append(entry)
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword = re.match(r'(msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if keyword:
            name, index, text = keyword.groups()
            field = ("msgstr", int(index or 0)) if name.startswith("msgstr") else (name, None)
            value = _unquote(text)
        else:
            continuation = re.match(r'"(.*)"$', line)
            assert continuation and field, f"{path.name}:{number}: cannot read {raw!r}"
            value = _unquote(continuation.group(1))
        if field[0] == "msgstr":
            entry["msgstr"][field[1]] = entry["msgstr"].get(field[1], "") + value if not keyword else value
        else:
            entry[field[0]] = (entry[field[0]] or "") + value if not keyword else value
    return [e for e in entries if e["msgid"] is not None and not e["obsolete"]]


def messages(entries):
    """The entries a reader can meet: all but the header."""
    return [e for e in entries if e["msgid"] != ""]


def untranslated_or_fuzzy(entries):
    """Each entry that is fuzzy, lacks a translation, or lacks a plural form, as 'line: msgid'."""
    bad = []
    for e in messages(entries):
        forms = (0, 1) if e["msgid_plural"] is not None else (0,)
        if "fuzzy" in e["flags"] or any(not e["msgstr"].get(i, "").strip() for i in forms):
            bad.append(f"{e['line']}: {e['msgid']!r}")
    return bad


PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sdif]")


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


# The catalogue ------------------------------------------------------------------------------


def test_the_catalogue_is_complete_and_has_no_fuzzy_entry():
    entries = read_po()
    assert len(messages(entries)) > 500
    assert untranslated_or_fuzzy(entries) == []
    [header] = [e for e in entries if e["msgid"] == ""]
    assert "fuzzy" not in header["flags"]
    assert "Language: fr\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"][0]


def test_every_translation_keeps_its_placeholders():
    wrong = []
    for e in messages(read_po()):
        sources = [e["msgid"], e["msgid_plural"]] if e["msgid_plural"] is not None else [e["msgid"]]
        for index, source in enumerate(sources):
            if placeholders(e["msgstr"].get(index, "")) != placeholders(source):
                wrong.append(f"{e['line']}: {source!r} -> {e['msgstr'].get(index)!r}")
    assert wrong == []


FRENCH_SPACING = [
    re.compile(r" [:;?!»]|« "),  # an ordinary space, which may break the line before the sign
    re.compile(r"[^\s\u00a0\u202f][;?!»]|«[^\s\u00a0\u202f]"),  # no space at all
    re.compile(r"[^\s\u00a0\u202f]:(?=\s|$)"),  # "Source: ..." (but "https://" and "12:30" are fine)
]


def test_french_punctuation_takes_a_non_breaking_space():
    """Before : ; ? ! » and after « comes U+00A0 (or U+202F), so that the sign never starts a line."""
    wrong = []
    for e in messages(read_po()):
        for text in e["msgstr"].values():
            prose = re.sub(r"&\w+;", "", re.sub(r"<[^>]*>", "", text))  # markup and entities are not prose
            if any(rule.search(prose) for rule in FRENCH_SPACING):
                wrong.append(f"{e['line']}: {text!r}")
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed so that deployments need no gettext: it must be compiled from the present .po."""
    with MO.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for e in messages(read_po()):
        if e["msgid_plural"] is None:
            compiled = [catalogue.gettext(e["msgid"])]
        else:  # French takes the singular for 0 and 1
            compiled = [catalogue.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
        if compiled != [e["msgstr"][i] for i in range(len(compiled))]:
            stale.append(e["msgid"])
    assert stale == [], "run: python manage.py compilemessages -l fr --ignore=.venv"


@pytest.mark.skipif(not (shutil.which("xgettext") and shutil.which("msgmerge")), reason="GNU gettext is not installed")
def test_every_string_marked_in_the_code_is_translated(tmp_path, settings, monkeypatch):
    """makemessages, run on a copy of the code, finds nothing new: a string added later fails here until translated."""
    for name in ("cases", "templates", "tracker"):
        shutil.copytree(BASE_DIR / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    catalogue = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    catalogue.parent.mkdir(parents=True)
    shutil.copy(PO, catalogue)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["fr"], verbosity=0)
    entries = read_po(catalogue)
    assert {e["msgid"] for e in messages(entries)} >= {"Written proceedings", "General List No. %(number)s"}
    assert untranslated_or_fuzzy(entries) == [], "run makemessages -l fr and translate the new strings"


def test_model_choices_read_as_the_courts_write_them():
    with translation.override("fr"):
        assert Stage.WRITTEN_PROCEEDINGS.label == "Procédure écrite"
        assert Stage.PROVISIONAL_MEASURES.label == "Mesures conservatoires"
        assert Stage.PRELIMINARY_OBJECTIONS.label == "Exceptions préliminaires"
        assert Stage.CONFIRMATION_OF_CHARGES.label == "Confirmation des charges"
        assert Case.Status.PENDING.label == "Pendante"
        assert Case.Kind.ADVISORY.label == "Procédure consultative"
        assert Filing.Kind.OPINION.label == "Opinion individuelle ou dissidente"
        assert Filing.Kind.VERBATIM_RECORD.label == "Compte rendu"
        assert Participation.Role.INTERVENER_ART_63.label == "Intervenant (article 63)"
        assert Participation.Role.REQUESTING_ORGAN.label == "Organe requérant"
        assert Warrant.Status.OUTSTANDING.label == "Non exécuté"
        assert str(Case._meta.verbose_name) == "affaire"
        # Every stage has a French label of its own.
        labels = [str(label) for _value, label in Stage.choices]
    english = [str(label) for _value, label in Stage.choices]
    assert not set(labels) & set(english)


# The pages ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def fr_client():
    """A reader who chose French with the switcher: the language cookie."""
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


@pytest.fixture
def icj(db):
    return CourtFactory(
        code="ICJ",
        name_en="International Court of Justice",
        name_fr="Cour internationale de Justice",
        website="https://www.icj-cij.org/",
    )


@pytest.fixture
def gaza(icj):
    case = CaseFactory(
        court=icj,
        reference="192",
        slug="south-africa-v-israel",
        title_en="Application of the Genocide Convention in the Gaza Strip (South Africa v. Israel)",
        title_fr="Application de la convention sur le génocide dans la bande de Gaza (Afrique du Sud c. Israël)",
        short_title_en="South Africa v. Israel",
        short_title_fr="Afrique du Sud c. Israël",
        stage="written_proceedings",
        status_changed_on=datetime.date(2024, 4, 5),
        instituted_on=datetime.date(2023, 12, 29),
    )
    ParticipationFactory(case=case, party=PartyFactory(name="South Africa", slug="south-africa"), role="applicant")
    ParticipationFactory(case=case, party=PartyFactory(name="Israel", slug="israel"), role="respondent")
    order = FilingFactory(
        case=case,
        title="Order of 26 January 2024",
        kind=Filing.Kind.ORDER,
        date=datetime.date(2024, 1, 26),
        language="en",
        url="https://www.icj-cij.org/case/192/order.pdf",
    )
    EventFactory(case=case, kind=Event.Kind.ORDER, title="Order on provisional measures", filing=order)
    EventFactory(case=case, kind=Event.Kind.DEADLINE, title="Time-limit", date=datetime.date(2026, 3, 12))
    return case


class _SwitcherForm(HTMLParser):
    """The language switcher's action and fields."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self.languages, self._inside = None, {}, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "language-switcher" in (attrs.get("class") or ""):
            self.action, self._inside = attrs["action"], True
        elif self._inside and tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif self._inside and tag == "option":
            self.languages.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def french(response, *expected, status=200):
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="fr"' in html
    missing = [text for text in [*FR_LAYOUT, *expected] if text not in html]
    assert missing == []
    return html


def test_home_in_french(fr_client, gaza):
    html = french(
        fr_client.get(reverse("cases:home")),
        "Suivi des procédures internationales",
        "Parcourir toutes les affaires",
        "Audiences et échéances à venir",
        "Documents récemment repérés",
        "Afrique du Sud c. Israël",
        "Échéance",
    )
    assert "Browse all cases" not in html


def test_accept_language_alone_gives_french(gaza):
    response = Client().get(reverse("cases:home"), headers={"accept-language": "fr-CH, fr;q=0.9, en;q=0.5"})
    french(response, "Suivi des procédures internationales")
    english = Client().get(reverse("cases:home"), headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en"' in english and "Browse all cases" in english


def test_case_list_and_its_filter_form_in_french(fr_client, gaza):
    CaseFactory(court=gaza.court, slug="other", short_title_en="Other case", status=Case.Status.CONCLUDED, stage="")
    html = french(
        fr_client.get(reverse("cases:case_list")),
        "Filtrer et trier",
        "Type de procédure",
        "Année d’introduction",
        "Trier par",
        "Toutes les juridictions",
        "Les plus récentes d’abord",
        "Appliquer les filtres",
        "2 affaires",
        "Afrique du Sud c. Israël",
        "Procédure écrite",
        "Pendante",
        "Terminée",
        f"Rôle général nº{NBSP}192",
    )
    assert "South Africa v. Israel" not in html
    filtered = french(
        fr_client.get(reverse("cases:case_list"), {"status": "pending"}), "1 affaire", "Effacer les filtres"
    )
    assert "Other case" not in filtered and "2 affaires" not in filtered
    french(
        fr_client.get(reverse("cases:case_list"), {"year": "not-a-year"}),
        f"Certains filtres n’ont pas pu être appliqués{NBSP}: toutes les affaires sont donc affichées.",
    )


def test_case_page_in_french_uses_the_french_titles(fr_client, gaza):
    html = french(
        fr_client.get(gaza.get_absolute_url()),
        "<h1>Afrique du Sud c. Israël</h1>",
        "Application de la convention sur le génocide dans la bande de Gaza (Afrique du Sud c. Israël)",
        "Cour internationale de Justice",
        f"Rôle général nº{NBSP}192",
        "Affaire contentieuse",
        "Pendante",
        "Procédure écrite",
        "depuis le",
        "Demandeur",
        "Défendeur",
        "Chronologie",
        "Ordonnance",
        "Anglais",
        "1 document déposé ou émis dans cette affaire",
        "Citer cette affaire",
        "Suivre cette affaire par courriel",
        "Fil d’Ariane",
    )
    assert "South Africa v. Israel" not in html.split("<main", 1)[1].split("Citer cette affaire")[0]
    assert "Written proceedings" not in html


def test_case_page_falls_back_to_english_titles(fr_client, icj):
    case = CaseFactory(court=icj, title_en="Only in English", short_title_en="English only", stage="oral_proceedings")
    french(fr_client.get(case.get_absolute_url()), "<h1>English only</h1>", "Procédure orale")


def test_court_page_in_french(fr_client, gaza):
    french(
        fr_client.get(gaza.court.get_absolute_url()),
        "Affaires pendantes",
        "Nom en français",
        "Cour internationale de Justice",
        "Site web",
        "Filtrer et trier les affaires de cette juridiction (ICJ)",
        "Suivre par courriel les affaires de cette juridiction (ICJ)",
    )


def test_person_page_in_french(fr_client, db):
    warrant = WarrantFactory(
        person=PersonFactory(name="Joseph Kony", slug="joseph-kony"),
        case__court=CourtFactory(
            code="ICC", name_en="International Criminal Court", name_fr="Cour pénale internationale"
        ),
        case__short_title_en="Kony et al.",
        issued_on=datetime.date(2005, 7, 8),
        charges="",
    )
    html = french(
        fr_client.get(warrant.person.get_absolute_url()),
        "Mandats d’arrêt",
        "Mandats d’arrêt visant Joseph Kony",
        "Délivrance",
        "Non exécuté",
        "Sous scellés",
        "non publiques",
        "8 juillet 2005",
    )
    assert "Warrants of arrest" not in html


def test_search_page_in_french(fr_client, gaza):
    html = french(
        fr_client.get("/search/?q=g%C3%A9nocide"),
        f"Recherche{NBSP}: génocide",
        "Affiner les résultats",
        "1 affaire correspondante",
        "Afrique du Sud c. Israël",
    )
    assert "matching" not in html
    french(fr_client.get(reverse("cases:search")), "Ce que vous pouvez rechercher", f"Une référence officielle{NBSP}:")


def test_404_in_french(fr_client, db):
    french(
        fr_client.get("/no-such-page/"),
        "Page introuvable",
        "Il n’y a pas de page à cette adresse.",
        "Voir les juridictions",
        status=404,
    )


def test_the_language_switcher_sets_the_cookie_and_returns_to_the_page(gaza):
    client = Client()
    page = gaza.get_absolute_url() + "?from=switcher"
    html = client.get(page).content.decode()
    assert '<html lang="en"' in html
    form = _SwitcherForm()
    form.feed(html)
    assert form.action == reverse("set_language")
    assert form.fields["next"] == page
    assert form.languages == ["en", "fr"]

    response = client.post(form.action, {"language": "fr", "next": form.fields["next"]})
    assert response.status_code == 302
    assert response["Location"] == page
    cookie = response.cookies[django_settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr"
    french(client.get(response["Location"]), "<h1>Afrique du Sud c. Israël</h1>", "Procédure écrite")

    back = client.post(reverse("set_language"), {"language": "en", "next": page}, follow=True)
    assert back.redirect_chain == [(page, 302)]
    assert '<html lang="en"' in back.content.decode() and "Written proceedings" in back.content.decode()


def test_the_switcher_refuses_to_send_the_reader_off_site(gaza):
    response = Client().post(reverse("set_language"), {"language": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "fr"
