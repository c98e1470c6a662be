"""Alerts by email: follow a case or a court with an address and no account.

Double opt-in (nothing is sent to an address until its owner confirms), one-click unsubscribe
(RFC 8058), alerts as they happen or as a daily digest, each email in the subscriber's language.
Tokens are signed with SECRET_KEY (and its fallbacks), so none is stored. Views, tasks and the
admin call these functions; the tasks that send mail live in tasks.py.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core import checks, signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Case, Court, Event, Subscription
from .ratelimit import within_limit

logger = logging.getLogger(__name__)

CONFIRM_SALT = "cases.alerts.confirm"
UNSUBSCRIBE_SALT = "cases.alerts.unsubscribe"
CONFIRM_MAX_AGE = datetime.timedelta(days=3)

# Abuse limits, as (requests, window in seconds): subscribe forms posted from one IP address, and
# confirmation emails sent to one address (so the form cannot be used to flood someone's inbox).
SUBSCRIBE_PER_IP = (5, 3600)
CONFIRMATIONS_PER_ADDRESS = (3, 86400)

# A digest stops this far before it runs: an event written by a refresh still in its transaction
# (tasks have a hard limit of minutes) goes into the next digest instead of being missed.
DIGEST_SETTLE = datetime.timedelta(minutes=5)
# How far back a digest looks at most, so that one subscription to a quiet case cannot make every
# digest read months of events. A beat that stops for longer than this loses the oldest news.
DIGEST_LOOKBACK = datetime.timedelta(days=7)
# How long a sent alert is remembered, so that a task delivered twice (acks_late) mails once.
SENT_MEMORY = 2 * 86400

# Emails are written by tasks, which have no request to learn the site's address from.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


class InvalidLink(Exception):
    """A token that was not made by us, was altered, or names a subscription that is gone."""


class LinkExpired(InvalidLink):
    """A confirmation link older than CONFIRM_MAX_AGE; `followed` is what it was for, to follow again."""

    def __init__(self, followed=None):
        super().__init__("expired")
        self.followed = followed


# Addresses, languages and links ---------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """One spelling per mailbox: practically every provider ignores case, and the unique constraints do not."""
    return email.strip().lower()


def address_key(email: str) -> str:
    """A cache key part for an address that does not put the address itself in the cache."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]


def supported_language(code: str | None) -> str:
    try:
        return translation.get_supported_language_variant(code or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


def site_url() -> str:
    return (getattr(settings, "SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def absolute_url(path: str) -> str:
    return site_url() + path


@checks.register(checks.Tags.urls, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    if getattr(settings, "SITE_URL", ""):
        return []
    return [
        checks.Warning(
            f"SITE_URL is not set: links in alert emails point to {DEFAULT_SITE_URL}.",
            hint="Set SITE_URL to the public address of the tracker, e.g. https://tracker.example.org.",
            id="cases.W001",
        )
    ]


def followed_name(followed: Case | Court | None) -> str:
    """How a page or an email names what is followed, in the active language."""
    if isinstance(followed, Court):
        return f"{followed.name} ({followed.code})"
    return str(followed) if followed is not None else ""


def confirm_token(subscription: Subscription, *, frequency: str, language: str) -> str:
    """What the form asked for travels in the link, and applies only when the address's owner confirms."""
    return signing.dumps({"s": subscription.pk, "f": frequency, "l": language}, salt=CONFIRM_SALT)


def unsubscribe_token(subscription: Subscription) -> str:
    """Never expires: an unsubscribe link in a years-old email must still work."""
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT)


def confirm_url(subscription: Subscription, *, frequency: str, language: str) -> str:
    token = confirm_token(subscription, frequency=frequency, language=language)
    return absolute_url(reverse("cases:alert_confirm", args=[token]))


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute_url(reverse("cases:alert_unsubscribe", args=[unsubscribe_token(subscription)]))


def _subscriptions():
    return Subscription.objects.select_related("case", "case__court", "court")


def read_confirm_token(token: str) -> tuple[Subscription, str, str]:
    """(subscription, frequency, language) from a confirmation link; InvalidLink or LinkExpired."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        # The signature is ours, only old: say what it was for, so that following again is one click.
        data = signing.loads(token, salt=CONFIRM_SALT)
        subscription = _subscriptions().filter(pk=data.get("s")).first() if isinstance(data, dict) else None
        raise LinkExpired(subscription and (subscription.case or subscription.court)) from None
    except signing.BadSignature:
        raise InvalidLink("bad signature") from None
    if not isinstance(data, dict) or data.get("f") not in Subscription.Frequency.values:
        raise InvalidLink("malformed")
    subscription = _subscriptions().filter(pk=data.get("s")).first()
    if subscription is None:
        raise InvalidLink("no such subscription")
    return subscription, data["f"], supported_language(data.get("l"))


def read_unsubscribe_token(token: str) -> Subscription | None:
    """The subscription an unsubscribe link is for; None when it was deleted since (nothing to stop)."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise InvalidLink("bad signature") from None
    if not isinstance(pk, int):
        raise InvalidLink("malformed")
    return _subscriptions().filter(pk=pk).first()


# Rate limits ------------------------------------------------------------------------------------------


def subscribe_allowed(ip: str) -> bool:
    return within_limit(f"alerts:ip:{ip}", *SUBSCRIBE_PER_IP)


def confirmation_allowed(email: str) -> bool:
    return within_limit(f"alerts:email:{address_key(email)}", *CONFIRMATIONS_PER_ADDRESS)


# Subscribing --------------------------------------------------------------------------------------------


def subscribe(*, email: str, case: Case | None = None, court: Court | None = None, frequency: str, language: str):
    """The subscription of this address to this case (or court): made unconfirmed if new, else left as it is.

    An existing subscription is not touched, confirmed or not: a stranger who types someone's address
    changes nothing; what the form asked for applies when the owner confirms (see confirm_token).
    """
    if (case is None) == (court is None):
        raise ValueError("follow a case or a court")
    followed = {"case": case} if case is not None else {"court": court}
    subscription, _created = Subscription.objects.get_or_create(
        email=normalize_email(email),
        **followed,
        defaults={"frequency": frequency, "language": supported_language(language)},
    )
    return subscription


def queue_confirmation(subscription: Subscription, *, frequency: str, language: str) -> None:
    """Send the confirmation email from a worker once the transaction commits; QueueUnavailable if refused."""
    from .tasks import queue_each, send_confirmation

    queue_each(send_confirmation.s(frequency=frequency, language=language), [subscription.pk])


def confirm(*, subscription: Subscription, frequency: str, language: str) -> Subscription:
    """Start (or restart) alerts; a subscription already active only takes the frequency and language."""
    subscription.frequency, subscription.language = frequency, supported_language(language)
    update = ["frequency", "language"]
    if not subscription.is_active:
        # Confirmation is where alerts start: a digest never reaches back before it.
        subscription.confirmed_at, subscription.unsubscribed_at = timezone.now(), None
        update += ["confirmed_at", "unsubscribed_at"]
    subscription.save(update_fields=update)
    return subscription


def unsubscribe(*, subscription: Subscription) -> Subscription:
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


def active():
    return Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


# Emails -------------------------------------------------------------------------------------------------


def _message(template: str, context: dict, *, to: str, headers: dict, connection=None) -> EmailMultiAlternatives:
    """A text email with an HTML alternative, from templates/alerts/email/<template>{_subject.txt,.txt,.html}."""
    subject = " ".join(render_to_string(f"alerts/email/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject,
        render_to_string(f"alerts/email/{template}.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers={"Auto-Submitted": "auto-generated", **headers},
        connection=connection,
    )
    message.attach_alternative(render_to_string(f"alerts/email/{template}.html", context), "text/html")
    return message


def _followed_context(subscription: Subscription) -> dict:
    followed = subscription.case or subscription.court
    return {
        "subscription": subscription,
        "followed": followed,
        "followed_name": followed_name(followed),
        "followed_url": absolute_url(followed.get_absolute_url()),
        "is_case": subscription.case_id is not None,
        "site_url": site_url(),
    }


def send_confirmation(*, subscription: Subscription, frequency: str, language: str) -> None:
    language = supported_language(language)
    with translation.override(language):
        context = _followed_context(subscription) | {
            "confirm_url": confirm_url(subscription, frequency=frequency, language=language),
            "frequency_label": Subscription.Frequency(frequency).label,
            "valid_days": CONFIRM_MAX_AGE.days,
        }
        message = _message("confirm", context, to=subscription.email, headers={})
    message.send()


def _alert_message(subscription, template, context, connection):
    """An alert or digest, with the one-click unsubscribe of RFC 8058 that mail providers show as a button."""
    link = unsubscribe_url(subscription)
    with translation.override(supported_language(subscription.language)):
        context = _followed_context(subscription) | {"unsubscribe_url": link} | context
        return _message(
            template,
            context,
            to=subscription.email,
            headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            connection=connection,
        )


def _deliver(message) -> bool:
    """Send one email; an address the server refuses is logged and skipped, anything else propagates to retry."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        logger.warning("alert to %s refused: %s", message.to, error)
        return False
    return True


def _mark_sent(pks: list[int], when: datetime.datetime) -> None:
    if pks:
        Subscription.objects.filter(pk__in=pks).update(last_sent_at=when)


def _events_with_links():
    return Event.objects.select_related("case", "case__court", "filing")


# Immediate alerts ----------------------------------------------------------------------------------------


def queue_notifications(event_ids: Iterable[int]) -> int:
    """After a refresh commits: one notify_subscribers task per case with new events that anyone follows now.

    A refused task is only logged (by queue_each): the events stay, and daily digests still carry them.
    """
    from .tasks import QueueUnavailable, notify_subscribers, queue_each

    event_ids = sorted(set(event_ids))
    if not event_ids:
        return 0
    immediate = active().filter(frequency=Subscription.Frequency.IMMEDIATE)
    followed = Exists(immediate.filter(case=OuterRef("case"))) | Exists(immediate.filter(court=OuterRef("case__court")))
    by_case = defaultdict(list)
    for case_id, event_id in Event.objects.filter(followed, pk__in=event_ids).values_list("case_id", "pk"):
        by_case[case_id].append(event_id)
    for case_id, ids in by_case.items():
        with contextlib.suppress(QueueUnavailable):
            queue_each(notify_subscribers.s(event_ids=ids), [case_id])
    return len(by_case)


def notify(*, case_id: int, event_ids: Iterable[int]) -> int:
    """Email each confirmed immediate subscriber of the case, or of its court, the new events: one email each.

    An address that follows both the case and its court gets one email, under the case. Queries do not
    grow with the number of subscribers.
    """
    event_ids = sorted(set(event_ids))
    events = list(_events_with_links().filter(case_id=case_id, pk__in=event_ids).order_by("date", "id"))
    if not events:
        return 0
    case = events[0].case
    subscriptions = active().filter(frequency=Subscription.Frequency.IMMEDIATE)
    subscriptions = subscriptions.filter(Q(case_id=case.pk) | Q(court_id=case.court_id))
    recipients = {}
    for subscription in sorted(subscriptions, key=lambda s: (s.case_id is None, s.pk)):
        recipients.setdefault(subscription.email, subscription)
    batch = hashlib.sha256(",".join(map(str, event_ids)).encode()).hexdigest()[:16]
    due = []
    for subscription in recipients.values():
        if subscription.case_id:
            subscription.case = case
        else:
            subscription.court = case.court
        news = [event for event in events if event.created_at >= subscription.confirmed_at]
        if news:
            due.append((subscription, news, f"alerts:sent:{subscription.pk}:{batch}"))
    if not due:
        return 0
    now = timezone.now()
    sent = []
    try:
        with get_connection() as connection:
            for subscription, news, key in due:
                if not cache.add(key, True, SENT_MEMORY):
                    continue  # sent by an earlier delivery of this task
                try:
                    message = _alert_message(subscription, "alert", {"case": case, "events": news}, connection)
                    delivered = _deliver(message)
                except BaseException:
                    cache.delete(key)  # not sent: a retry must send it
                    raise
                if delivered:
                    sent.append(subscription.pk)
    finally:
        _mark_sent(sent, now)
    return len(sent)


# Daily digest ---------------------------------------------------------------------------------------------


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """Email each confirmed daily subscriber what happened since their last digest (or since they confirmed).

    Nothing is sent to a subscriber when nothing happened. `last_sent_at` is the digest's cursor: every
    event created up to it has been sent, so running twice sends nothing twice. Three queries, however
    many subscribers.
    """
    until = (now or timezone.now()) - DIGEST_SETTLE
    floor = until - DIGEST_LOOKBACK
    subscriptions = list(
        active()
        .filter(frequency=Subscription.Frequency.DAILY, confirmed_at__lt=until)
        .select_related("case", "case__court", "court")
        .order_by("pk")
    )
    since = {s.pk: max(t for t in (s.confirmed_at, s.last_sent_at, floor) if t is not None) for s in subscriptions}
    since = {pk: moment for pk, moment in since.items() if moment < until}
    if not since:
        return 0
    case_ids = {s.case_id for s in subscriptions if s.case_id}
    court_ids = {s.court_id for s in subscriptions if s.court_id}
    events = (
        _events_with_links()
        .filter(created_at__gt=min(since.values()), created_at__lte=until)
        .filter(Q(case_id__in=case_ids) | Q(case__court_id__in=court_ids))
        .order_by("case__court__code", "case__short_title_en", "case_id", "date", "id")
    )
    by_case, by_court = defaultdict(list), defaultdict(list)
    for event in events:
        by_case[event.case_id].append(event)
        by_court[event.case.court_id].append(event)
    due = []
    for subscription in subscriptions:
        if subscription.pk not in since:
            continue
        found = by_case[subscription.case_id] if subscription.case_id else by_court[subscription.court_id]
        news = [event for event in found if event.created_at > since[subscription.pk]]
        if news:
            due.append((subscription, {"events": news, "since": since[subscription.pk]}))
    if not due:
        return 0
    sent = []
    try:
        with get_connection() as connection:
            for subscription, context in due:
                if _deliver(_alert_message(subscription, "digest", context, connection)):
                    sent.append(subscription.pk)
    finally:
        _mark_sent(sent, until)
    return len(sent)
