from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("library/", include("library.urls")),
    path("publishing/", include("publishing.urls")),
    path("api/", include("bhakti.api_urls")),
    path("", include("renders.urls")),
]
