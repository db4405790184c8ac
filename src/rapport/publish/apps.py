from django.apps import AppConfig


class PublishConfig(AppConfig):
    name = "rapport.publish"
    label = "publish"
