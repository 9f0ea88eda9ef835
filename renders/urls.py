from django.urls import path

from renders import live_views, photo_views, share_views, views

app_name = "renders"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("videos/new/", views.create, name="create"),
    path("videos/new/write/", views.write_for_me, name="write_for_me"),
    path("videos/photos/", photo_views.photo_start, name="photo_start"),
    path("videos/photos/<str:flow_id>/", photo_views.photo_photos, name="photo_photos"),
    path("videos/photos/<str:flow_id>/details/", photo_views.photo_details, name="photo_details"),
    path("videos/photos/<str:flow_id>/review/", photo_views.photo_review, name="photo_review"),
    path("photos/<str:upload_id>/", photo_views.photo_file, name="photo_file"),
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
    path("videos/<uuid:job_id>/live/index.m3u8", live_views.live_playlist, name="live_playlist"),
    path("videos/<uuid:job_id>/live/<int:index>.ts", live_views.live_piece, name="live_piece"),
    path("videos/<uuid:job_id>/share/", share_views.share_create, name="share_create"),
    path("videos/<uuid:job_id>/share/revoke/", share_views.share_revoke, name="share_revoke"),
    # Public (no login): a live share link's player page and the two files it shows.
    path("s/<str:token>/", share_views.share_page, name="share_page"),
    path("s/<str:token>/<str:kind>", share_views.share_file, name="share_file"),
    path("uploads/<str:filename>", views.upload_preview, name="upload_preview"),
]
