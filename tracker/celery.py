"""The Celery application; its settings live in Django's settings under CELERY_*."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender, **kwargs):
    """The filesystem transport needs its folders before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@signals.task_prerun.connect
def _drop_unusable_connection(task=None, **kwargs):
    """With connections kept across tasks (CELERY_DB_REUSE_MAX), one that broke (a database restart) or aged past
    CONN_MAX_AGE is closed before the task, as Django does before each request, so the task opens a fresh one.
    Not for a task run eagerly: that one shares its caller's connection, and maybe its transaction."""
    if task is not None and task.request.is_eager:
        return
    from django.db import close_old_connections

    close_old_connections()
