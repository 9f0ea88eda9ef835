from django.urls import path

from renders import views

app_name = "renders"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("videos/new/", views.create, name="create"),
    path("videos/new/write/", views.write_for_me, name="write_for_me"),
    path("videos/<uuid:job_id>/", views.job_status, name="job_status"),
    path("videos/<uuid:job_id>/progress/", views.job_progress, name="job_progress"),
    path("videos/<uuid:job_id>/cancel/", views.cancel, name="cancel"),
    path("videos/<uuid:job_id>/retry/", views.retry, name="retry"),
    path("videos/<uuid:job_id>/duplicate/", views.duplicate, name="duplicate"),
    path("videos/<uuid:job_id>/delete/", views.delete, name="delete"),
    path("videos/<uuid:job_id>/edit/", views.edit, name="edit"),
    path("videos/<uuid:job_id>/make-final/", views.make_final, name="make_final"),
    path("videos/delete/", views.delete_many, name="delete_many"),
    path("videos/<uuid:job_id>/files/<int:asset_id>/", views.asset_file, name="asset_file"),
    path("uploads/<str:filename>", views.upload_preview, name="upload_preview"),
    path("fonts/noto-sans-devanagari.ttf", views.devanagari_font, name="devanagari_font"),
]
