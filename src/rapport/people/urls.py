"""People routes under ``/w/<slug>/people/``."""

from django.urls import path

from rapport.people import views

app_name = "people"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:person_id>/", views.person, name="person"),
]
