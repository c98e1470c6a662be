"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from .datastack import in_own_chunk

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

application = in_own_chunk(get_wsgi_application())
