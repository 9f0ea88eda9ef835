"""Render job routes, included under /api/v1/ (namespace `api_v1`) by bhakti/api_urls.py.

`script_urlpatterns` (script drafting) are included under /api/v1/ too, outside the namespace.

Job ids are taken as plain strings and checked by the selector, so a malformed id is a JSON
404 from the API rather than Django's HTML 404 for an unmatched URL.
"""

from django.urls import path

from renders.api import script_views, series_views, share_views, upload_views, views, webhook_views

urlpatterns = [
    path("renders", views.RendersApi.as_view(), name="renders"),
    # Before renders/<job_id>: "stats" is not a job id.
    path("renders/stats", views.RenderStatsApi.as_view(), name="render-stats"),
    path("renders/<str:job_id>", views.RenderDetailApi.as_view(), name="render-detail"),
    path("renders/<str:job_id>/cancel", views.RenderCancelApi.as_view(), name="render-cancel"),
    path("renders/<str:job_id>/retry", views.RenderRetryApi.as_view(), name="render-retry"),
    path("renders/<str:job_id>/make-final", views.RenderMakeFinalApi.as_view(), name="render-make-final"),
    path("renders/<str:job_id>/share", share_views.RenderShareApi.as_view(), name="render-share"),
    path("renders/<str:job_id>/assets/<str:asset_id>", views.RenderAssetApi.as_view(), name="render-asset"),
    path("renders/<str:job_id>/webhooks", webhook_views.WebhookDeliveryListApi.as_view(), name="render-webhooks"),
    path("uploads", upload_views.UploadsApi.as_view(), name="uploads"),
    path("uploads/<str:upload_id>", upload_views.UploadDetailApi.as_view(), name="upload-detail"),
    path("webhooks", webhook_views.WebhookSettingsApi.as_view(), name="webhooks"),
    path("webhooks/rotate-secret", webhook_views.WebhookSecretRotateApi.as_view(), name="webhooks-rotate-secret"),
    path("series", series_views.SeriesApi.as_view(), name="series"),
    path("series/<str:series_id>", series_views.SeriesDetailApi.as_view(), name="series-detail"),
    path("series/<str:series_id>/cancel", series_views.SeriesCancelApi.as_view(), name="series-cancel"),
    # The older paths, kept for existing integrations.
    path("render", views.LegacyRenderCreateApi.as_view(), name="legacy-render-create"),
    path("render/<str:job_id>/status", views.LegacyRenderStatusApi.as_view(), name="legacy-render-status"),
    path("render/<str:job_id>/cancel", views.LegacyRenderCancelApi.as_view(), name="legacy-render-cancel"),
]

script_urlpatterns = [
    path("scripts/draft", script_views.ScriptDraftApi.as_view(), name="api-script-draft"),
]
