from .memory import keep_freed_memory

keep_freed_memory()  # before the web or worker process allocates what it will free and ask for again

from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
