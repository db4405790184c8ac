"""Top-level URLs: the one place that knows every feature's routes."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rapport.api import api
from rapport.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("health", web_views.health, name="health"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("w/<slug:slug>/inbox/", include("rapport.inbox.urls")),
    path("w/<slug:slug>/people/", include("rapport.people.urls")),
    path("w/<slug:slug>/publish/", include("rapport.publish.urls")),
    path("w/<slug:slug>/report/", include("rapport.reports.urls")),
    path("w/<slug:slug>/channels/", include("rapport.channels.urls")),
    path("w/<slug:slug>/import/", include("rapport.channels.importers.urls")),
    path("", include("rapport.publish.public_urls")),
]
