"""The tracker's own settings, plus the bare view the benchmark measures everything against (bench/urls.py).

Only bench/run.py uses this module; production and tests never import it.
"""

from tracker.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
