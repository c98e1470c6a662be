from django.urls import include, path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<slug:slug>/", views.case_detail, name="case"),
    path("cases/<slug:slug>/filings/<int:filing_id>/", views.filing_detail, name="filing"),
    path("courts/", views.court_list, name="court_list"),
    path("courts/<str:code>/", views.court_detail, name="court"),
    path("persons/<slug:slug>/", views.person_detail, name="person"),
    path("search/", views.search, name="search"),
    path("", include("cases.feed_urls")),
    path("", include("cases.citation_urls")),
    path("", include("cases.alert_urls")),
]
