from django.urls import path

from library import views
from renders import views as render_views

app_name = "library"
urlpatterns = [
    path("stories/", views.gallery, name="gallery"),
    path("stories/<slug:template_id>/thumbnail.jpg", views.thumbnail, name="thumbnail"),
    # The create page's story splitter (renders owns the create flow); its URL stays here.
    path("split/", render_views.split_story, name="split_story"),
]
