"""The project's URL root: it only includes each app's routes (and the health checks)."""

from django.contrib import admin
from django.urls import include, path

from bhakti import health
from renders import metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_json, name="metrics"),
    path("metrics/prometheus", metrics.metrics_prometheus, name="metrics-prometheus"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("library/", include("library.urls")),
    path("publishing/", include("publishing.urls")),
    path("api/", include("bhakti.api_urls")),
    path("", include("renders.urls")),
]
