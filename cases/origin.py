"""Cross-site request forgery stopped by the browser's own headers, for forms on cached public pages.

Django's token would make every page that shows a form personal, so no page could be cached
(cases/pagecache.py). Browsers say where a request comes from: Sec-Fetch-Site (all current browsers)
and Origin (on every POST). A POST that says it comes from another site is refused; a client that sends
neither is no browser, so no visitor's browser can have been made to send it. This is the check of
Go's net/http CrossOriginProtection and of OWASP's "verifying origin with standard headers".
"""

import functools
from urllib.parse import urlsplit

from django.views.csrf import csrf_failure
from django.views.decorators.csrf import csrf_exempt

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_cross_site(request) -> bool:
    if request.method in SAFE_METHODS:
        return False
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc != request.get_host()


def same_site_posts(view):
    """Django's token check off for this view, the header check on."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_cross_site(request):
            return csrf_failure(request, reason="The form was sent from another site.")
        return view(request, *args, **kwargs)

    return wrapper
