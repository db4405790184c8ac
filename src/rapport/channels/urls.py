from django.urls import path

from rapport.channels import views

app_name = "channels"
urlpatterns = [
    path("", views.index, name="index"),
    path("add/", views.add, name="add"),
    path("<int:channel_id>/reconnect/", views.reconnect_view, name="reconnect"),
]
