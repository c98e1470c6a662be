"""Following a case or a court by email: the form, the confirmation link and the unsubscribe link.

No account: the signed links in the emails are the only proof of owning an address. Pages never say
whether an address was already subscribed.
"""

from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import alerts
from .forms import SubscribeForm
from .models import Case, Court, Subscription
from .origin import same_site_posts
from .ratelimit import client_ip
from .tasks import QueueUnavailable


# The follow forms sit on cached pages: cross-site posts are refused by the browser's headers (cases/origin.py).
@same_site_posts
@require_http_methods(["GET", "POST"])
def follow_case(request, slug):
    case = get_object_or_404(Case.objects.select_related("court"), slug=slug)
    return _follow(request, case=case)


@same_site_posts
@require_http_methods(["GET", "POST"])
def follow_court(request, code):
    court = get_object_or_404(Court, code__iexact=code)
    return _follow(request, court=court)


def _follow(request, *, case=None, court=None):
    followed = case or court
    context = {
        "followed": followed,
        "followed_name": alerts.followed_name(followed),
        "case": case,
        "court": court,
        "valid_days": alerts.CONFIRM_MAX_AGE.days,
    }
    if request.method != "POST":
        # ?sent=1 is where every accepted form lands, whatever the address: no enumeration.
        context |= {"sent": request.GET.get("sent") == "1", "form": SubscribeForm()}
        return render(request, "alerts/follow.html", context)

    if not alerts.subscribe_allowed(client_ip(request)):
        return _too_many(request, context, retry_after=alerts.SUBSCRIBE_PER_IP[1])
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "alerts/follow.html", context | {"form": form})
    if form.is_spam:
        return _sent(request)
    email, frequency = form.cleaned_data["email"], form.cleaned_data["frequency"]
    if not alerts.confirmation_allowed(email):
        return _too_many(request, context, retry_after=alerts.CONFIRMATIONS_PER_ADDRESS[1])
    language = alerts.supported_language(get_language())
    subscription = alerts.subscribe(email=email, case=case, court=court, frequency=frequency, language=language)
    try:
        alerts.queue_confirmation(subscription, frequency=frequency, language=language)
    except QueueUnavailable:
        return render(request, "alerts/unavailable.html", context, status=503)
    return _sent(request)


def _sent(request):
    return HttpResponseRedirect(f"{request.path}?sent=1")


def _too_many(request, context, *, retry_after):
    response = render(request, "alerts/rate_limited.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _bad_link(request, *, expired=False, followed=None, unsubscribe=False):
    context = {
        "expired": expired,
        "followed": followed,
        "followed_name": alerts.followed_name(followed),
        "unsubscribe": unsubscribe,
        "valid_days": alerts.CONFIRM_MAX_AGE.days,
    }
    return render(request, "alerts/bad_link.html", context, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET only shows a button: mail scanners open links, and must not confirm for the owner."""
    try:
        subscription, frequency, language = alerts.read_confirm_token(token)
    except alerts.LinkExpired as error:
        return _bad_link(request, expired=True, followed=error.followed)
    except alerts.InvalidLink:
        return _bad_link(request)
    followed = subscription.case or subscription.court
    context = {
        "subscription": subscription,
        "followed": followed,
        "followed_name": alerts.followed_name(followed),
        "frequency_label": Subscription.Frequency(frequency).label,
    }
    if request.method == "POST":
        alerts.confirm(subscription=subscription, frequency=frequency, language=language)
        return render(request, "alerts/confirmed.html", context)
    return render(request, "alerts/confirm.html", context)


# RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no cookie. The signed token is the proof,
# so a forged cross-site POST would need the secret link already.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET shows a button (scanners open links); POST, from that button or a mail provider, unsubscribes."""
    try:
        subscription = alerts.read_unsubscribe_token(token)
    except alerts.InvalidLink:
        return _bad_link(request, unsubscribe=True)
    followed = subscription and (subscription.case or subscription.court)
    context = {"subscription": subscription, "followed": followed, "followed_name": alerts.followed_name(followed)}
    if request.method == "POST" or subscription is None:
        if subscription is not None:
            alerts.unsubscribe(subscription=subscription)
        return render(request, "alerts/unsubscribed.html", context)
    return render(request, "alerts/unsubscribe.html", context)
