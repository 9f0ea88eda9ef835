"""Everything under /api/: the versioned endpoints, the OpenAPI schema and its docs.

Render jobs, templates and the library live in `v1_urlpatterns` (namespace `api_v1`). Other
apps add their own `urlpatterns += [path("v1/…", …)]` entries below, each in its own block.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from library import api as library_api
from renders.api.urls import urlpatterns as render_urlpatterns
from renders.script_api import ScriptDraftApi

v1_urlpatterns = [
    *render_urlpatterns,
    path("templates", library_api.TemplateListApi.as_view(), name="templates"),
    path("templates/<str:template_id>/plan", library_api.TemplatePlanApi.as_view(), name="template-plan"),
    path("library", library_api.LibraryListApi.as_view(), name="library"),
    path("library/<str:job_id>/duplicate", library_api.LibraryDuplicateApi.as_view(), name="library-duplicate"),
]

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
urlpatterns += [path("v1/publish/", include("publishing.api_urls"))]

# Script drafting (OpenAI chat, or a pasted story split locally): /api/v1/scripts/draft
urlpatterns += [path("v1/scripts/draft", ScriptDraftApi.as_view(), name="api-script-draft")]
