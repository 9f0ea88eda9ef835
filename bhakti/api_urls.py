from django.urls import include, path

urlpatterns: list = []

# Publishing (YouTube): /api/v1/publish/…
urlpatterns += [path("v1/publish/", include("publishing.api_urls"))]
