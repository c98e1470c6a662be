"""factory_boy factories: test data is built, never hand-written fixtures."""

import datetime

import factory
from django.utils import timezone

from cases.models import Case, CaseRelation, Court, Event, Filing, Participation, Party, Person, Warrant


class CourtFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Court
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n}")
    name_en = factory.LazyAttribute(lambda o: f"Court {o.code}")
    name_fr = factory.LazyAttribute(lambda o: f"Cour {o.code}")
    website = "https://court.example/"


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    court = factory.SubFactory(CourtFactory)
    kind = Case.Kind.CONTENTIOUS
    reference = factory.Sequence(lambda n: str(100 + n))
    title_en = factory.Sequence(lambda n: f"Case number {n} (Applicant v. Respondent)")
    short_title_en = factory.Sequence(lambda n: f"Case {n}")
    slug = factory.Sequence(lambda n: f"case-{n}")
    status = Case.Status.PENDING
    stage = "written_proceedings"
    instituted_on = datetime.date(2024, 1, 1)
    official_url = factory.LazyAttribute(lambda o: f"https://court.example/case/{o.reference}")


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    name = factory.Sequence(lambda n: f"State {n}")
    slug = factory.Sequence(lambda n: f"state-{n}")
    kind = Party.Kind.STATE


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    case = factory.SubFactory(CaseFactory)
    party = factory.SubFactory(PartyFactory)
    role = Participation.Role.APPLICANT
    source_url = "https://court.example/source"


class FilingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Filing

    case = factory.SubFactory(CaseFactory)
    title = factory.Sequence(lambda n: f"Order number {n}")
    kind = Filing.Kind.ORDER
    date = datetime.date(2024, 1, 26)
    language = "en"
    url = factory.Sequence(lambda n: f"https://court.example/files/{n}.pdf")
    first_seen_at = factory.LazyFunction(timezone.now)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    case = factory.SubFactory(CaseFactory)
    date = datetime.date(2024, 1, 26)
    kind = Event.Kind.ORDER
    title = factory.Sequence(lambda n: f"Event {n}")
    source_url = "https://court.example/source"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    slug = factory.Sequence(lambda n: f"person-{n}")


class WarrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warrant

    case = factory.SubFactory(CaseFactory, kind=Case.Kind.SITUATION, stage="investigation")
    person = factory.SubFactory(PersonFactory)
    issued_on = factory.Sequence(lambda n: datetime.date(2024, 1, 1) + datetime.timedelta(days=n))
    status = Warrant.Status.OUTSTANDING
    source_url = "https://court.example/warrant"


class CaseRelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseRelation

    from_case = factory.SubFactory(CaseFactory)
    to_case = factory.SubFactory(CaseFactory)
    kind = CaseRelation.Kind.RELATED
