"""Alerts by email: double opt-in, one-click unsubscribe, immediate alerts, daily digests, abuse limits."""

import datetime
import re
import uuid
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from cases import alerts, tasks
from cases.models import Case, Event, Subscription
from tests.factories import CaseFactory, CourtFactory, EventFactory, FilingFactory
from tracker.celery import app as celery_app

pytestmark = pytest.mark.django_db

SITE = "https://tracker.test"
START = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.SITE_URL = SITE
    # A cache of this test's own: counters and sent marks never leak between tests, nor touch a shared Redis.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture
def eager():
    """Tasks run where they are queued, as a worker would run them."""
    from tracker.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def travel():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def follow_url(target):
    if isinstance(target, Case):
        return reverse("cases:follow_case", args=[target.slug])
    return reverse("cases:follow_court", args=[target.code.lower()])


def follow(client, target, email="reader@example.org", frequency="immediate", ip="192.0.2.1", **data):
    return client.post(
        follow_url(target), {"email": email, "frequency": frequency, "website": "", **data}, REMOTE_ADDR=ip
    )


def link_in(message, kind):
    match = re.search(rf"{re.escape(SITE)}/alerts/{kind}/[^/\s]+/", message.body)
    assert match, message.body
    return match.group(0).removeprefix(SITE)


def subscription(target, email=None, frequency=Subscription.Frequency.IMMEDIATE, confirmed=True, **fields):
    followed = {"case": target} if isinstance(target, Case) else {"court": target}
    return Subscription.objects.create(
        email=email or f"{uuid.uuid4().hex[:10]}@example.org",
        frequency=frequency,
        confirmed_at=timezone.now() - datetime.timedelta(hours=1) if confirmed else None,
        **followed,
        **fields,
    )


def news(case, **fields):
    """A new filing and its event, as a refresh records them."""
    filing = FilingFactory(case=case, title=fields.pop("title", "Order on provisional measures"))
    return EventFactory(case=case, filing=filing, title=filing.title, kind=Event.Kind.ORDER, **fields)


# Subscribing, confirming, alerting ------------------------------------------------------------------------


def test_follow_confirm_then_alerts_arrive(client, mailoutbox, eager, django_capture_on_commit_callbacks):
    case = CaseFactory(short_title_en="Genocide Convention (S. Afr. v. Isr.)")
    with django_capture_on_commit_callbacks(execute=True):
        response = follow(client, case, email="Reader@Example.org", frequency="immediate")
    assert response.status_code == 302
    assert response["Location"] == f"{follow_url(case)}?sent=1"
    assert "Check your email" in client.get(response["Location"]).content.decode()

    [mail] = mailoutbox
    assert mail.to == ["reader@example.org"]
    assert "Confirm your alerts about Genocide Convention (S. Afr. v. Isr.)" in mail.subject
    assert "text/html" in [kind for _, kind in mail.alternatives]
    sub = Subscription.objects.get()
    assert (sub.email, sub.case, sub.confirmed_at) == ("reader@example.org", case, None)

    confirm = link_in(mail, "confirm")
    page = client.get(confirm)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    sub.refresh_from_db()
    assert sub.confirmed_at is None, "opening the link (as a mail scanner does) confirms nothing"

    response = client.post(confirm)
    assert response.status_code == 200
    assert "Alerts confirmed" in response.content.decode()
    sub.refresh_from_db()
    assert sub.is_active

    filing = FilingFactory(case=case, title="Order of 26 January 2024", url="https://www.icj-cij.org/files/order.pdf")
    event = EventFactory(case=case, filing=filing, title=filing.title, kind=Event.Kind.ORDER)
    status = EventFactory(case=case, kind=Event.Kind.STATUS_CHANGE, title="The court's page now gives: Pending")
    assert alerts.notify(case_id=case.pk, event_ids=[event.pk, status.pk]) == 1

    alert = mailoutbox[1]
    assert alert.to == ["reader@example.org"]
    assert alert.subject == "Genocide Convention (S. Afr. v. Isr.): 2 new events"
    assert "Order of 26 January 2024" in alert.body
    assert "https://www.icj-cij.org/files/order.pdf" in alert.body
    assert "The court's page now gives: Pending" in alert.body
    assert f"{SITE}{case.get_absolute_url()}" in alert.body
    html = alert.alternatives[0][0]
    assert 'href="https://www.icj-cij.org/files/order.pdf"' in html
    sub.refresh_from_db()
    assert sub.last_sent_at is not None


def test_confirming_needs_csrf(mailoutbox):
    sub = subscription(CaseFactory(), confirmed=False)
    url = reverse("cases:alert_confirm", args=[alerts.confirm_token(sub, frequency="daily", language="en")])
    assert Client(enforce_csrf_checks=True).post(url).status_code == 403
    sub.refresh_from_db()
    assert sub.confirmed_at is None


def test_confirmation_applies_what_the_form_asked(client):
    sub = subscription(CaseFactory(), frequency=Subscription.Frequency.IMMEDIATE, confirmed=False)
    token = alerts.confirm_token(sub, frequency="daily", language="fr")
    client.post(reverse("cases:alert_confirm", args=[token]))
    sub.refresh_from_db()
    assert (sub.frequency, sub.language, sub.is_active) == ("daily", "fr", True)


def test_nothing_is_sent_before_confirmation(client, mailoutbox, travel):
    case = CaseFactory()
    subscription(case, confirmed=False)
    subscription(case, frequency=Subscription.Frequency.DAILY, confirmed=False)
    event = news(case)
    assert alerts.notify(case_id=case.pk, event_ids=[event.pk]) == 0
    travel.shift(datetime.timedelta(days=1))
    assert alerts.send_digests() == 0
    assert mailoutbox == []


def test_events_from_before_confirmation_are_not_sent(mailoutbox, travel):
    case = CaseFactory()
    old = news(case)
    travel.shift(datetime.timedelta(minutes=1))
    sub = subscription(case, confirmed=False)
    alerts.confirm(subscription=sub, frequency="immediate", language="en")
    assert alerts.notify(case_id=case.pk, event_ids=[old.pk]) == 0


def test_alert_in_the_subscribers_language(mailoutbox):
    case = CaseFactory(short_title_en="Obligations of States", short_title_fr="Obligations des États")
    subscription(case, language="fr")
    subscription(case, language="en")
    event = news(case)
    assert alerts.notify(case_id=case.pk, event_ids=[event.pk]) == 2
    # French typography puts a (narrow) no-break space before the colon.
    subjects = sorted(re.sub(r"[\u00a0\u202f]", " ", mail.subject) for mail in mailoutbox)
    assert subjects == ["Obligations des États : 1 nouvel événement", "Obligations of States: 1 new event"]


def test_text_parts_and_subjects_are_not_html_escaped(mailoutbox):
    case = CaseFactory(short_title_en="Côte d'Ivoire v. <Ghana>")
    subscription(case)
    event = news(case, title="Order of 5 March & annexes")
    alerts.notify(case_id=case.pk, event_ids=[event.pk])
    [mail] = mailoutbox
    assert mail.subject == "Côte d'Ivoire v. <Ghana>: 1 new event"
    assert "Order of 5 March & annexes" in mail.body
    assert "Côte d&#x27;Ivoire v. &lt;Ghana&gt;" in mail.alternatives[0][0]


def test_an_alert_delivered_twice_is_mailed_once(mailoutbox):
    case = CaseFactory()
    subscription(case)
    event = news(case)
    assert alerts.notify(case_id=case.pk, event_ids=[event.pk]) == 1
    assert alerts.notify(case_id=case.pk, event_ids=[event.pk]) == 0
    assert len(mailoutbox) == 1


def test_a_failed_send_is_retried_for_that_subscriber_only(mailoutbox):
    case = CaseFactory()
    first, second = subscription(case), subscription(case)
    event = news(case)
    sent = []

    def flaky(self):
        if self.to == [second.email] and not sent:
            sent.append("failed once")
            raise ConnectionResetError("SMTP server went away")
        return original(self)

    original = alerts.EmailMultiAlternatives.send
    with mock.patch.object(alerts.EmailMultiAlternatives, "send", flaky), pytest.raises(ConnectionResetError):
        alerts.notify(case_id=case.pk, event_ids=[event.pk])
    assert [mail.to for mail in mailoutbox] == [[first.email]]
    assert alerts.notify(case_id=case.pk, event_ids=[event.pk]) == 1  # what the task's retry does
    assert [mail.to for mail in mailoutbox] == [[first.email], [second.email]]


def test_notify_task_takes_ids(mailoutbox):
    case = CaseFactory()
    subscription(case)
    event = news(case)
    assert tasks.notify_subscribers(case.pk, [event.pk]) == 1
    assert tasks.notify_subscribers(case.pk, []) == 0


def test_new_events_queue_one_task_per_followed_case(mailoutbox, eager, django_capture_on_commit_callbacks):
    followed, unfollowed = CaseFactory(), CaseFactory()
    subscription(followed)
    subscription(unfollowed, frequency=Subscription.Frequency.DAILY)
    events = [news(followed), news(followed), news(unfollowed)]
    spy = mock.patch.object(tasks.notify_subscribers, "apply_async", wraps=tasks.notify_subscribers.apply_async)
    with spy as sent, django_capture_on_commit_callbacks(execute=True):
        assert alerts.queue_notifications([event.pk for event in events]) == 1
    [call] = sent.call_args_list
    assert call.args[0] == (followed.pk,)
    assert sorted(call.args[1]["event_ids"]) == sorted(event.pk for event in events[:2])
    [mail] = mailoutbox
    assert "2 new events" in mail.subject


def test_a_refused_notification_task_is_logged_not_raised(caplog, django_capture_on_commit_callbacks):
    case = CaseFactory()
    subscription(case)
    event = news(case)
    refused = mock.patch.object(tasks.notify_subscribers, "apply_async", side_effect=OperationalError("refused"))
    with refused, django_capture_on_commit_callbacks(execute=True):
        assert alerts.queue_notifications([event.pk]) == 1
    assert "could not queue cases.tasks.notify_subscribers" in caplog.text


# Courts ---------------------------------------------------------------------------------------------------


def test_court_subscribers_get_the_events_of_its_cases(mailoutbox, travel):
    court = CourtFactory(code="ICJ", name_en="International Court of Justice")
    case, elsewhere = CaseFactory(court=court, short_title_en="Gambia v. Myanmar"), CaseFactory()
    immediate = subscription(court)
    daily = subscription(court, frequency=Subscription.Frequency.DAILY)
    travel.shift(datetime.timedelta(minutes=1))
    event = news(case, title="Judgment on preliminary objections")
    news(elsewhere, title="Not of this court")

    assert alerts.notify(case_id=case.pk, event_ids=[event.pk]) == 1
    [alert] = mailoutbox
    assert alert.to == [immediate.email]
    assert "Gambia v. Myanmar" in alert.subject
    assert "International Court of Justice (ICJ)" in alert.body  # why they get it

    travel.shift(datetime.timedelta(days=1))
    assert alerts.send_digests() == 1
    digest = mailoutbox[1]
    assert digest.to == [daily.email]
    assert "Judgment on preliminary objections" in digest.body
    assert "Gambia v. Myanmar (ICJ)" in digest.body
    assert "Not of this court" not in digest.body


def test_an_address_following_a_case_and_its_court_gets_one_email(mailoutbox):
    case = CaseFactory()
    by_case = subscription(case, email="both@example.org")
    subscription(case.court, email="both@example.org")
    event = news(case)
    assert alerts.notify(case_id=case.pk, event_ids=[event.pk]) == 1
    [mail] = mailoutbox
    assert link_in(mail, "unsubscribe") == reverse("cases:alert_unsubscribe", args=[alerts.unsubscribe_token(by_case)])


# Daily digest ---------------------------------------------------------------------------------------------


def test_digest_content_cursor_and_idempotence(mailoutbox, travel):
    case = CaseFactory(short_title_en="Ukraine v. Russia")
    quiet = CaseFactory()
    sub = subscription(case, frequency=Subscription.Frequency.DAILY)
    subscription(quiet, frequency=Subscription.Frequency.DAILY)
    subscription(case)  # immediate: not in digests
    travel.shift(datetime.timedelta(hours=1))
    news(case, title="Order fixing time-limits")
    EventFactory(case=case, kind=Event.Kind.HEARING, title="Public hearings", source_url="https://court.example/h")

    travel.shift(datetime.timedelta(days=1))
    assert alerts.send_digests() == 1
    [digest] = mailoutbox
    assert digest.to == [sub.email]
    assert digest.subject == "Ukraine v. Russia: 2 new events (daily digest)"
    assert "Order fixing time-limits" in digest.body
    assert "Public hearings" in digest.body
    assert "https://court.example/h" in digest.body
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    sub.refresh_from_db()
    assert sub.last_sent_at == timezone.now() - alerts.DIGEST_SETTLE

    assert alerts.send_digests() == 0, "run twice, sends nothing twice"
    assert tasks.send_daily_digests() == 0
    assert len(mailoutbox) == 1

    travel.shift(datetime.timedelta(hours=2))
    news(case, title="Judgment")
    travel.shift(datetime.timedelta(days=1))
    assert alerts.send_digests() == 1
    assert "Judgment" in mailoutbox[1].body
    assert "Order fixing time-limits" not in mailoutbox[1].body


def test_an_event_written_while_the_digest_runs_goes_in_the_next_one(mailoutbox, travel):
    case = CaseFactory()
    subscription(case, frequency=Subscription.Frequency.DAILY)
    travel.shift(datetime.timedelta(days=1))
    news(case, title="Late order")
    assert alerts.send_digests() == 0  # too fresh: its transaction might not have committed yet
    travel.shift(alerts.DIGEST_SETTLE)
    assert alerts.send_digests() == 1


def test_the_digest_is_on_beats_schedule():
    task = PeriodicTask.objects.get(task="cases.tasks.send_daily_digests")
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("7", "0")


# Unsubscribing ----------------------------------------------------------------------------------------------


def test_alerts_carry_one_click_unsubscribe_headers(mailoutbox):
    case = CaseFactory()
    sub = subscription(case)
    event = news(case)
    alerts.notify(case_id=case.pk, event_ids=[event.pk])
    [mail] = mailoutbox
    url = f"{SITE}{reverse('cases:alert_unsubscribe', args=[alerts.unsubscribe_token(sub)])}"
    assert mail.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    headers = mail.message()
    assert headers["List-Unsubscribe"] == f"<{url}>"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert url in mail.body and url in mail.alternatives[0][0]


def test_one_click_unsubscribe_is_a_post_without_login_or_cookie(mailoutbox):
    case = CaseFactory()
    sub = subscription(case)
    url = reverse("cases:alert_unsubscribe", args=[alerts.unsubscribe_token(sub)])
    provider = Client(enforce_csrf_checks=True)

    page = provider.get(url)
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    sub.refresh_from_db()
    assert sub.unsubscribed_at is None, "opening the link unsubscribes nothing"

    response = provider.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    sub.refresh_from_db()
    assert sub.unsubscribed_at is not None
    assert provider.post(url).status_code == 200, "twice is fine"

    assert alerts.notify(case_id=case.pk, event_ids=[news(case).pk]) == 0
    assert mailoutbox == []


def test_following_again_after_unsubscribing_needs_a_new_confirmation(
    client, mailoutbox, eager, django_capture_on_commit_callbacks
):
    case = CaseFactory()
    sub = subscription(case, email="back@example.org")
    alerts.unsubscribe(subscription=sub)
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, case, email="back@example.org", ip="192.0.2.9")
    sub.refresh_from_db()
    assert not sub.is_active
    client.post(link_in(mailoutbox[-1], "confirm"))
    sub.refresh_from_db()
    assert sub.is_active


# Bad links ----------------------------------------------------------------------------------------------------


def test_tampered_and_foreign_tokens_get_a_friendly_400(client):
    sub = subscription(CaseFactory(), confirmed=False)
    good = alerts.confirm_token(sub, frequency="daily", language="en")
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    unsubscribe = alerts.unsubscribe_token(sub)
    for name, token in [
        ("alert_confirm", tampered),
        ("alert_confirm", "not-a-token"),
        ("alert_confirm", unsubscribe),  # signed for another purpose
        ("alert_unsubscribe", good),
        ("alert_unsubscribe", unsubscribe[:-2] + "xx"),
    ]:
        for method in (client.get, client.post):
            response = method(reverse(f"cases:{name}", args=[token]))
            assert response.status_code == 400, (name, token)
            assert "This link does not work" in response.content.decode()
    sub.refresh_from_db()
    assert (sub.confirmed_at, sub.unsubscribed_at) == (None, None)


def test_an_expired_confirmation_link_offers_to_follow_again(client, travel):
    case = CaseFactory(short_title_en="Advisory opinion on climate change")
    sub = subscription(case, confirmed=False)
    url = reverse("cases:alert_confirm", args=[alerts.confirm_token(sub, frequency="daily", language="en")])
    travel.shift(alerts.CONFIRM_MAX_AGE + datetime.timedelta(minutes=1))
    response = client.post(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This link has expired" in page
    assert f'href="{case.get_absolute_url()}#follow"' in page
    sub.refresh_from_db()
    assert sub.confirmed_at is None


def test_a_confirmation_link_for_a_deleted_subscription_is_invalid(client):
    sub = subscription(CaseFactory(), confirmed=False)
    token = alerts.confirm_token(sub, frequency="daily", language="en")
    unsubscribe = alerts.unsubscribe_token(sub)
    sub.delete()
    assert client.post(reverse("cases:alert_confirm", args=[token])).status_code == 400
    assert client.post(reverse("cases:alert_unsubscribe", args=[unsubscribe])).status_code == 200


# No enumeration, limits, honeypot, queue down ----------------------------------------------------------------------


def test_the_response_does_not_say_whether_an_address_is_subscribed(
    client, mailoutbox, eager, django_capture_on_commit_callbacks
):
    case = CaseFactory()
    existing = subscription(case, email="known@example.org", frequency=Subscription.Frequency.DAILY)
    subscription(case, email="pending@example.org", confirmed=False)
    responses = []
    with django_capture_on_commit_callbacks(execute=True):
        for n, email in enumerate(["known@example.org", "pending@example.org", "new@example.org"]):
            response = follow(client, case, email=email, frequency="immediate", ip=f"192.0.2.{n + 10}")
            responses.append((response.status_code, response["Location"], response.content))
    assert responses[0] == responses[1] == responses[2]
    # Each owner is told by email, the only place that is theirs; the known address is not changed by a stranger.
    assert sorted(mail.to[0] for mail in mailoutbox) == ["known@example.org", "new@example.org", "pending@example.org"]
    existing.refresh_from_db()
    assert (existing.frequency, existing.is_active) == ("daily", True)


def test_subscribe_requests_are_limited_per_ip(client, mailoutbox, eager, django_capture_on_commit_callbacks):
    case = CaseFactory()
    limit, _window = alerts.SUBSCRIBE_PER_IP
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(limit):
            assert follow(client, case, email=f"r{n}@example.org", ip="198.51.100.7").status_code == 302
        response = follow(client, case, email="one-more@example.org", ip="198.51.100.7")
        assert response.status_code == 429
        assert "Too many requests" in response.content.decode()
        assert int(response["Retry-After"]) > 0
        assert follow(client, case, email="other@example.org", ip="198.51.100.8").status_code == 302
    assert len(mailoutbox) == limit + 1
    assert not Subscription.objects.filter(email="one-more@example.org").exists()


def test_confirmation_emails_are_limited_per_address(client, mailoutbox, eager, django_capture_on_commit_callbacks):
    cases = CaseFactory.create_batch(5)
    limit, _window = alerts.CONFIRMATIONS_PER_ADDRESS
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(limit):
            assert follow(client, cases[n], email="victim@example.org", ip=f"203.0.113.{n}").status_code == 302
        response = follow(client, cases[limit], email="VICTIM@example.org", ip="203.0.113.99")
    assert response.status_code == 429
    assert len(mailoutbox) == limit


def test_the_honeypot_catches_bots_quietly(client, mailoutbox, eager, django_capture_on_commit_callbacks):
    case = CaseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = follow(client, case, email="bot@example.org", website="https://spam.example")
    assert response.status_code == 302
    assert response["Location"] == f"{follow_url(case)}?sent=1"
    assert not Subscription.objects.exists()
    assert mailoutbox == []


def test_an_invalid_address_shows_the_form_again(client, mailoutbox):
    case = CaseFactory()
    response = follow(client, case, email="not an address")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'value="not an address"' in page
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
    ],
)
def test_a_post_from_another_site_is_refused(headers, mailoutbox):
    case = CaseFactory()
    response = Client(enforce_csrf_checks=True).post(follow_url(case), {"email": "a@example.org"}, **headers)
    assert response.status_code == 403
    assert not Subscription.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("headers", [{"HTTP_SEC_FETCH_SITE": "same-origin"}, {"HTTP_ORIGIN": "http://testserver"}])
def test_a_post_from_the_page_itself_needs_no_token(headers, mailoutbox):
    case = CaseFactory()
    data = {"email": "a@example.org", "frequency": "immediate", "website": ""}
    response = Client(enforce_csrf_checks=True).post(follow_url(case), data, **headers)
    assert response.status_code == 302
    assert Subscription.objects.filter(case=case).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_the_queue_is_down_the_reader_is_told(client, mailoutbox):
    case = CaseFactory()
    with mock.patch.object(
        tasks.send_confirmation, "apply_async", side_effect=OperationalError("Error 111 connecting. Refused.")
    ):
        response = follow(client, case)
    assert response.status_code == 503
    assert "try again" in response.content.decode()
    assert mailoutbox == []


# The follow form on the case and court pages ------------------------------------------------------------------


@pytest.mark.parametrize("on", ["case", "court"])
def test_the_follow_snippet_posts_to_the_follow_url(on):
    case = CaseFactory()
    target = case if on == "case" else case.court
    request = RequestFactory().get("/")
    context = {"case": case} if on == "case" else {"court": case.court, "case": None}
    html = render_to_string("cases/_follow.html", context, request=request)
    assert f'action="{follow_url(target)}"' in html
    # No token: it would make the page it sits on personal, and so uncacheable (cases/origin.py guards the post).
    assert "csrfmiddlewaretoken" not in html
    assert 'name="email"' in html and 'name="frequency"' in html and 'name="website"' in html


def test_the_follow_page_for_a_court(client):
    court = CourtFactory(code="ICC", name_en="International Criminal Court")
    page = client.get(follow_url(court))
    assert page.status_code == 200
    assert "Follow International Criminal Court (ICC)" in page.content.decode()
    assert client.get(reverse("cases:follow_case", args=["no-such-case"])).status_code == 404


# Queries: fixed however many subscribers ---------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_notify_queries_do_not_grow_with_subscribers(count, mailoutbox, django_assert_max_num_queries):
    case = CaseFactory()
    for n in range(count):
        subscription(case if n % 2 else case.court)
    events = [news(case), news(case)]
    with django_assert_max_num_queries(3):
        assert alerts.notify(case_id=case.pk, event_ids=[event.pk for event in events]) == count
    assert len(mailoutbox) == count


@pytest.mark.parametrize("count", [3, 30])
def test_digest_queries_do_not_grow_with_subscribers(count, mailoutbox, travel, django_assert_max_num_queries):
    court = CourtFactory()
    cases = CaseFactory.create_batch(3, court=court)
    for n in range(count):
        subscription(cases[n % 3] if n % 2 else court, frequency=Subscription.Frequency.DAILY)
    travel.shift(datetime.timedelta(hours=1))
    for case in cases:
        news(case)
    travel.shift(datetime.timedelta(days=1))
    with django_assert_max_num_queries(3):
        assert alerts.send_digests() == count
    assert len(mailoutbox) == count


# Admin ----------------------------------------------------------------------------------------------------------


def test_admin_lists_subscriptions_in_fixed_queries(admin_client):
    def queries_for_changelist():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("admin:cases_subscription_changelist"))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    case = CaseFactory(short_title_en="Listed case")
    subscription(case, email="listed@example.org")
    subscription(case.court, confirmed=False)
    few, page = queries_for_changelist()
    assert "listed@example.org" in page and "Listed case" in page
    for n in range(20):
        subscription(CaseFactory() if n % 2 else CourtFactory())
    many, _page = queries_for_changelist()
    assert many == few

    filtered = admin_client.get(
        reverse("admin:cases_subscription_changelist"), {"confirmed": "no", "q": "example.org"}
    ).content.decode()
    assert "listed@example.org" not in filtered


def test_admin_change_page_shows_links_read_only(admin_client):
    sub = subscription(CaseFactory(), confirmed=False)
    response = admin_client.get(reverse("admin:cases_subscription_change", args=[sub.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert alerts.unsubscribe_token(sub) in page
    assert "/alerts/confirm/" in page
    assert 'name="email"' not in page
    assert admin_client.get(reverse("admin:cases_subscription_add")).status_code == 403


def test_admin_unsubscribes_in_bulk(admin_client):
    subs = [subscription(CaseFactory()) for _ in range(2)]
    admin_client.post(
        reverse("admin:cases_subscription_changelist"),
        {"action": "unsubscribe_selected", "_selected_action": [sub.pk for sub in subs]},
    )
    assert Subscription.objects.filter(unsubscribed_at__isnull=False).count() == 2


def test_a_refresh_that_finds_news_notifies_followers_on_commit(
    django_capture_on_commit_callbacks, mailoutbox, settings
):
    from cases import services
    from cases.models import Source
    from cases.sources.base import FilingRef, Snapshot

    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    try:
        case = CaseFactory(court=CourtFactory(code="ICJ"), stage="provisional_measures")
        Subscription.objects.create(email="reader@example.org", case=case, confirmed_at=timezone.now())
        source = Source.objects.create(case=case, adapter="icj", url="https://www.icj-cij.org/case/192")
        order = FilingRef(
            "https://www.icj-cij.org/files/192-o.pdf", "Order of 1 May 2026", datetime.date(2026, 5, 1), "order"
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.apply_snapshot(source=source, snapshot=Snapshot("icj", source.url, filings=(order,)))
    finally:
        celery_app.conf.task_always_eager = False
    assert [m.to for m in mailoutbox] == [["reader@example.org"]]
    assert "Order of 1 May 2026" in mailoutbox[0].body
