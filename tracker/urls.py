from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from cases.origin import same_site_posts

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("cases.api")),
    # On every cached page: cross-site posts are refused by the browser's headers, not a token (cases/origin.py).
    path("i18n/setlang/", same_site_posts(set_language), name="set_language"),
    path("", include("cases.urls")),
]
