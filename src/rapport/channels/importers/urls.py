from django.urls import path

from rapport.channels.importers import views

app_name = "imports"
urlpatterns = [path("", views.index, name="index")]
