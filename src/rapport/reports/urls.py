"""Report routes under ``/w/<slug>/report/``."""

from django.urls import path

from rapport.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export_csv, name="export"),
]
