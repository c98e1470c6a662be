"""Thin Celery tasks: ids in, services do the work, retries with backoff on network errors only."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import services
from .models import Case, Filing, Source
from .sources.http import FetchError

logger = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The broker refused a task, so it (and any after it) was not queued."""


def queue_each(task, ids) -> int:
    """Send `task` once per id when the transaction commits; QueueUnavailable when the broker refuses.

    Admin actions, admin views and commands run outside a transaction, where on_commit sends at once:
    the caller learns that the broker is down in time to tell staff. Inside a transaction the tasks go
    after the commit, and a refusal is only logged.
    """
    ids = list(ids)
    refused = []

    def send():
        for object_id in ids:
            try:
                task.delay(object_id)
            except Exception as error:  # kombu's OperationalError, or whatever the transport raises
                logger.warning("could not queue %s(%s): %s", task.name, object_id, error)
                refused.append(error)
                return

    transaction.on_commit(send)
    if refused:
        raise QueueUnavailable(refused[0])
    return len(ids)


RETRY = {"autoretry_for": (FetchError,), "retry_backoff": 30, "retry_backoff_max": 1800, "max_retries": 5}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def refresh_case(self, case_id: int) -> list[str]:
    # The enabled sources with their case, in one query: an unchanged case then costs this query, one
    # insert and one update. No source (or no such case) means nothing to read.
    sources = list(Source.objects.filter(case_id=case_id, enabled=True).select_related("case").order_by("id"))
    if not sources:
        return []
    case = sources[0].case
    for source in sources:
        source.case = case  # one Case object, whichever source a status change comes from
    try:
        return [check.outcome for check in services.refresh_case(case=case, sources=sources)]
    except FetchError as error:
        _honour_retry_after(self, error)
        if self.request.retries >= self.max_retries:
            _record_network_failure(sources, error)
        raise


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def refresh_source(self, source_id: int) -> str:
    source = Source.objects.filter(pk=source_id).select_related("case").first()
    if source is None:
        return ""
    try:
        return services.refresh_source(source=source).outcome
    except FetchError as error:
        _honour_retry_after(self, error)
        if self.request.retries >= self.max_retries:
            _record_network_failure([source], error)
        raise


def _honour_retry_after(task, error: FetchError):
    """A court that says when to come back is asked again then, not on our backoff."""
    if error.retry_after and task.request.retries < task.max_retries:
        raise task.retry(exc=error, countdown=min(error.retry_after, 3600))


def _record_network_failure(sources, error):
    for source in sources:
        services.record_failed_check(source=source, error=error)


@shared_task
def refresh_due_cases() -> int:
    """Enqueue every active case (and listing) not read within REFRESH_INTERVAL_HOURS, staggered."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.REFRESH_INTERVAL_HOURS)
    due = Source.objects.filter(enabled=True).filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=cutoff))
    case_ids = sorted(
        set(due.filter(case__refresh_enabled=True, case__status=Case.Status.PENDING).values_list("case_id", flat=True))
    )
    listing_ids = list(due.filter(case__isnull=True).values_list("pk", flat=True))
    step = settings.REFRESH_STAGGER_SECONDS
    for position, source_id in enumerate(listing_ids):
        refresh_source.apply_async((source_id,), countdown=position * step)
    for position, case_id in enumerate(case_ids, start=len(listing_ids)):
        refresh_case.apply_async((case_id,), countdown=position * step)
    logger.info("enqueued %s cases and %s listings", len(case_ids), len(listing_ids))
    return len(case_ids) + len(listing_ids)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, **RETRY)
def check_filing(self, filing_id: int) -> str:
    filing = Filing.objects.filter(pk=filing_id).exclude(url="").first()
    if filing is None:
        return ""
    try:
        return services.check_filing_link(filing=filing).link_status
    except FetchError as error:
        _honour_retry_after(self, error)
        if self.request.retries >= self.max_retries:
            return services.record_link_failure(filing=filing, error=error).link_status
        raise


@shared_task
def check_due_links(limit: int = 500) -> int:
    """Re-check the official links not checked for a week, oldest first, staggered."""
    cutoff = timezone.now() - datetime.timedelta(days=7)
    ids = list(
        Filing.objects.exclude(url="")
        .filter(Q(link_checked_at__isnull=True) | Q(link_checked_at__lt=cutoff))
        .order_by("link_checked_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for position, filing_id in enumerate(ids):
        check_filing.apply_async((filing_id,), countdown=position * settings.REFRESH_STAGGER_SECONDS)
    return len(ids)


# Alerts by email. SMTP errors are OSErrors: retried with backoff; an address the server refuses is skipped.
MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": 60, "retry_backoff_max": 3600, "max_retries": 5}


@shared_task(acks_late=True, **MAIL_RETRY)
def send_confirmation(subscription_id: int, frequency: str, language: str) -> bool:
    from . import alerts
    from .models import Subscription

    subscription = Subscription.objects.select_related("case", "court").filter(pk=subscription_id).first()
    if subscription is None:
        return False
    alerts.send_confirmation(subscription=subscription, frequency=frequency, language=language)
    return True


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660, **MAIL_RETRY)
def notify_subscribers(case_id: int, event_ids: list[int]) -> int:
    from . import alerts

    return alerts.notify(case_id=case_id, event_ids=event_ids)


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900, **MAIL_RETRY)
def send_daily_digests() -> int:
    from . import alerts

    return alerts.send_digests()


# No reject_on_worker_lost: a PDF that kills the worker is acknowledged, not handed to the next one forever.
@shared_task(acks_late=True)
def extract_filing_text(filing_id: int) -> int:
    """Read the attached copy's text into the filing, for search; the number of characters stored."""
    filing = Filing.objects.filter(pk=filing_id).first()
    if filing is None:
        return 0
    return len(services.extract_filing_text(filing=filing))
