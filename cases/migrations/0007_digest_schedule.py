"""The daily digest of alerts on beat's schedule; staff may move it in the admin afterwards."""

from django.db import migrations
from django.utils import timezone

NAME = "Send daily alert digests"
TASK = "cases.tasks.send_daily_digests"
# 07:00 UTC: morning in The Hague and Strasbourg, where most of the tracked courts sit, before the day's news.
CRONTAB = {"minute": "0", "hour": "7", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab = CrontabSchedule.objects.filter(**CRONTAB, timezone="UTC").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**CRONTAB, timezone="UTC")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": TASK, "crontab": crontab, "description": "Email each daily subscriber what happened."},
    )
    # Historical models send no signals: tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_search_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
