"""The tracker's URLs plus /bench/bare/: the ceiling, the same stack with no database and no template."""

from django.http import HttpResponse
from django.urls import path

from tracker.urls import urlpatterns as tracker_urlpatterns


def bare(request):
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *tracker_urlpatterns]
