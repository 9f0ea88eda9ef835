"""The project's URL root: it only includes each app's routes (and the health checks)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from bhakti import health
from compat import metrics as compat_metrics
from compat.api.urls import root_urlpatterns as compat_urlpatterns
from library import views as library_views
from renders import metrics


def _favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    return HttpResponsePermanentRedirect(static("favicon.svg"))  # resolved per request: the manifest may come later


urlpatterns = [
    # Browsers and crawlers ask for /favicon.ico whatever the pages link; send them to the real one.
    path("favicon.ico", lambda request: _favicon(request)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # Ours plus the older render platform's flat names (compat/metrics.py).
    path("metrics", compat_metrics.metrics_json, name="metrics"),
    path("metrics/prometheus", metrics.metrics_prometheus, name="metrics-prometheus"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("library/", include("library.urls")),
    path("publishing/", include("publishing.urls")),
    path("api/", include("bhakti.api_urls")),
    # The older API shapes at the root: /render…, /mcp/generate (docs/compat-api.md).
    *compat_urlpatterns,
    # The front door: a stranger's introduction, a creator's videos (renders:dashboard, the same path).
    path("", library_views.home, name="home"),
    path("", include("renders.urls")),
]
