from django.urls import path

from rapport.publish import views

app_name = "publish"
urlpatterns = [
    path("", views.index, name="index"),
    path("compose/", views.compose, name="compose"),
    path("slots/", views.slot, name="slot"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/approve/", views.approve, name="approve"),
    path("posts/<int:post_id>/deliveries/<int:delivery_id>/retry/", views.retry, name="retry"),
    path(
        "posts/<int:post_id>/deliveries/<int:delivery_id>/resolve/", views.resolve, name="resolve"
    ),
]
