"""Saves and deletes that reach the public pages make their cached copies stale (cases/pagecache.py).

These cover the admin and anything else that saves a model; bulk writes (QuerySet.update, bulk_create)
send no signal, so the services that make them bump the versions themselves.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Case, CaseRelation, Court, Event, Filing, Participation, Party, Person, Warrant
from .pagecache import bump_case, bump_site


@receiver(pre_save, sender=Case)
def _remember_old_slug(sender, instance, raw=False, **kwargs):
    # A slug that changes leaves a cached page at the old address, which must now redirect.
    if instance.pk and not raw:
        instance._slug_before = Case.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()


@receiver(post_save, sender=Case)
@receiver(post_delete, sender=Case)
def _case_changed(sender, instance, **kwargs):
    bump_case(instance.slug, getattr(instance, "_slug_before", None) or "")


@receiver(post_save, sender=Filing)
@receiver(post_delete, sender=Filing)
@receiver(post_save, sender=Event)
@receiver(post_delete, sender=Event)
@receiver(post_save, sender=Participation)
@receiver(post_delete, sender=Participation)
@receiver(post_save, sender=Warrant)
@receiver(post_delete, sender=Warrant)
def _part_of_case_changed(sender, instance, **kwargs):
    # A refresh creates filings with their case at hand: no query for its slug then.
    if sender.case.is_cached(instance):
        bump_case(instance.case.slug)
    else:
        bump_case(*_slugs([instance.case_id]))


@receiver(post_save, sender=CaseRelation)
@receiver(post_delete, sender=CaseRelation)
def _relation_changed(sender, instance, **kwargs):
    bump_case(*_slugs([instance.from_case_id, instance.to_case_id]))


@receiver(post_save, sender=Court)
@receiver(post_delete, sender=Court)
def _court_changed(sender, instance, **kwargs):
    # Every case page names its court.
    bump_case(*Case.objects.filter(court_id=instance.pk).values_list("slug", flat=True))
    bump_site()


@receiver(post_save, sender=Party)
@receiver(post_delete, sender=Party)
def _party_changed(sender, instance, **kwargs):
    bump_case(*Case.objects.filter(participations__party_id=instance.pk).values_list("slug", flat=True))
    bump_site()


@receiver(post_save, sender=Person)
@receiver(post_delete, sender=Person)
def _person_changed(sender, instance, **kwargs):
    cases = Case.objects.filter(warrants__person_id=instance.pk) | Case.objects.filter(
        participations__party__person_id=instance.pk
    )
    bump_case(*cases.values_list("slug", flat=True).distinct())
    bump_site()


def _slugs(case_ids):
    return Case.objects.filter(pk__in=[pk for pk in case_ids if pk]).values_list("slug", flat=True)
