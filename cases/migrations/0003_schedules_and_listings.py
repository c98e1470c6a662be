"""Beat schedules (editable in the admin afterwards) and the listings read for every case of a court."""

from django.db import migrations

SCHEDULES = [
    ("Refresh due cases", "cases.tasks.refresh_due_cases", 15, "minutes"),
    ("Check filing links", "cases.tasks.check_due_links", 1, "days"),
]
LISTINGS = [
    ("icj-pending", "https://www.icj-cij.org/pending-cases"),
    ("icc-rss", "https://www.icc-cpi.int/rss.xml"),
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    Source = apps.get_model("cases", "Source")
    for name, task, every, period in SCHEDULES:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})
    for adapter, url in LISTINGS:
        Source.objects.get_or_create(case=None, url=url, defaults={"adapter": adapter})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()
    apps.get_model("cases", "Source").objects.filter(case=None, url__in=[url for _, url in LISTINGS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_sources"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
