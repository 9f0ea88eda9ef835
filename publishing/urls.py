from django.urls import path

from publishing import views

app_name = "publishing"
urlpatterns = [
    path("", views.index, name="index"),
    path("youtube/connect/", views.youtube_connect, name="youtube_connect"),
    path("youtube/callback/", views.youtube_callback, name="youtube_callback"),
    path("youtube/disconnect/", views.youtube_disconnect, name="youtube_disconnect"),
    path("jobs/<uuid:job_id>/panel/", views.job_panel, name="job_panel"),
    path("jobs/<uuid:job_id>/schedule/", views.job_schedule, name="job_schedule"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<uuid:job_id>/retry/", views.job_retry, name="job_retry"),
]
