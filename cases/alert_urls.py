"""Following cases and courts by email. Included from cases/urls.py, so the names live in the "cases" namespace."""

from django.urls import path

from . import alert_views

urlpatterns = [
    path("cases/<slug:slug>/follow/", alert_views.follow_case, name="follow_case"),
    path("courts/<str:code>/follow/", alert_views.follow_court, name="follow_court"),
    path("alerts/confirm/<str:token>/", alert_views.confirm, name="alert_confirm"),
    path("alerts/unsubscribe/<str:token>/", alert_views.unsubscribe, name="alert_unsubscribe"),
]
