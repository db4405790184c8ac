from django.urls import path

from rapport.channels import views

app_name = "channels"
urlpatterns = [path("", views.index, name="index")]
