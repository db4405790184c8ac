from django.urls import path

from rapport.publish import views

app_name = "publish"
urlpatterns = [path("", views.index, name="index")]
