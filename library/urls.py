from django.urls import path

from library import views
from renders import views as render_views

app_name = "library"
urlpatterns = [
    path("stories/", views.gallery, name="gallery"),
    path("samples/<uuid:job_id>/<int:asset_id>/", views.sample_file, name="sample_file"),
    path("stories/<slug:template_id>/thumbnail.jpg", views.thumbnail, name="thumbnail"),
    path("series/", views.series_list, name="series_list"),
    path("series/new/", views.series_new, name="series_new"),
    path("series/<uuid:series_id>/", views.series_detail, name="series_detail"),
    path("series/<uuid:series_id>/cancel/", views.series_cancel_view, name="series_cancel"),
    # The create page's story splitter (renders owns the create flow); its URL stays here.
    path("split/", render_views.split_story, name="split_story"),
]
