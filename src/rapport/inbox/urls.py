"""Inbox routes under ``/w/<slug>/inbox/``."""

from django.urls import path

from rapport.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("acknowledge/", views.acknowledge_all, name="acknowledge"),
    path("<int:item_id>/", views.item_detail, name="item"),
    path("<int:item_id>/done/", views.item_done, name="done"),
    path("<int:item_id>/label/", views.item_label, name="label"),
    path("<int:item_id>/reply/", views.item_reply, name="reply"),
]
