"""Everything under /api/: the OpenAPI schema and its docs, and each app's versioned endpoints.

The endpoints themselves live in each app's `api/urls.py`; this module only includes them.
Render jobs, templates and the library share the namespace `api_v1`.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from compat.api.urls import api_urlpatterns as compat_api_urlpatterns
from compat.api.urls import jobs_urlpatterns as compat_jobs_urlpatterns
from library.api.urls import urlpatterns as library_urlpatterns
from renders.api.urls import script_urlpatterns
from renders.api.urls import urlpatterns as render_urlpatterns

v1_urlpatterns = [*render_urlpatterns, *library_urlpatterns]

urlpatterns: list = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), not inline: the CSP
    # allows scripts from this site only (bhakti/csp.py).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

# Render jobs, story templates, library: /api/v1/renders…, /api/v1/templates…, /api/v1/library…
urlpatterns += [path("v1/", include((v1_urlpatterns, "api_v1")))]

# Publishing (YouTube): /api/v1/publish/…
urlpatterns += [path("v1/publish/", include("publishing.api.urls"))]

# Script drafting (OpenAI chat, or a pasted story split locally): /api/v1/scripts/draft
urlpatterns += [path("v1/", include(script_urlpatterns))]

# The older API shapes (docs/compat-api.md): the job queue service's /api/v1/jobs/…, and
# /api/status/…, /api/templates…, /api/library…, /api/publish/… (no v1).
urlpatterns += [path("v1/", include(compat_jobs_urlpatterns)), *compat_api_urlpatterns]
