from django.urls import path

from rapport.channels.importers import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<int:job_id>/", views.job_page, name="job"),
    path("jobs/<int:job_id>/progress.json", views.job_progress, name="progress"),
]
