from django.urls import path

from rapport.inbox import views

app_name = "inbox"
urlpatterns = [path("", views.index, name="index")]
