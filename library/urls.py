from django.urls import path

from library import views

app_name = "library"
urlpatterns = [
    path("stories/", views.gallery, name="gallery"),
    path("stories/<slug:template_id>/thumbnail.jpg", views.thumbnail, name="thumbnail"),
    path("split/", views.split, name="split_story"),
]
