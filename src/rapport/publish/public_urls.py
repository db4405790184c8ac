from django.urls import path

from rapport.publish import public_views

urlpatterns = [
    path("feeds/<slug:slug>.atom", public_views.atom_feed, name="publish_feed"),
    path("u/<str:token>", public_views.unsubscribe_view, name="publish_unsubscribe"),
    path("l/<str:code>", public_views.tracked_link, name="publish_link"),
    path("m/<str:name>", public_views.post_image, name="publish_image"),
]
