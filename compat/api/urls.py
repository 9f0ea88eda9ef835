"""Routes of the older API shapes; bhakti/urls.py and bhakti/api_urls.py include these lists.

Job ids are plain strings checked by the selector, so a malformed id is a JSON 404.
"""

from django.urls import path

from compat.api import job_queue_views, marketplace_views, views

# At the site's root: /render…, /mcp/generate (the render platform's and the agents' paths).
root_urlpatterns = [
    path("render", views.RenderApi.as_view(), name="compat-render"),
    path("render/<str:job_id>/status", views.RenderStatusApi.as_view(), name="compat-render-status"),
    path("render/<str:job_id>/webhook", views.RenderWebhookApi.as_view(), name="compat-render-webhook"),
    path("render/<str:job_id>/cancel", views.RenderCancelApi.as_view(), name="compat-render-cancel"),
    path("mcp/generate", views.McpGenerateApi.as_view(), name="compat-mcp-generate"),
]

# Under /api/ (outside /api/v1/): the render platform's status, Creator mode and the marketplace.
api_urlpatterns = [
    path("status/<str:job_id>", views.ApiStatusApi.as_view(), name="compat-api-status"),
    path("templates", views.TemplateListApi.as_view(), name="compat-templates"),
    path("templates/plan", views.TemplatePlanApi.as_view(), name="compat-templates-plan"),
    path("library", views.LibraryApi.as_view(), name="compat-library"),
    path("library/<str:job_id>/duplicate", views.LibraryDuplicateApi.as_view(), name="compat-library-duplicate"),
    path("publish/<str:job_id>", views.PublishStatusApi.as_view(), name="compat-publish-status"),
    path("publish/<str:job_id>/schedule", views.PublishScheduleApi.as_view(), name="compat-publish-schedule"),
    path("publish/<str:job_id>/cancel", views.PublishCancelApi.as_view(), name="compat-publish-cancel"),
    # The marketplace's listing videos.
    path("video/generate-script", marketplace_views.VideoScriptApi.as_view(), name="compat-video-script"),
    path("video/generate", marketplace_views.VideoGenerateApi.as_view(), name="compat-video-generate"),
    path("video/status/<str:job_id>", marketplace_views.VideoStatusApi.as_view(), name="compat-video-status"),
]

# Under /api/v1/: the job queue service's /jobs/… (no /api/v1 route of ours is named jobs).
jobs_urlpatterns = [
    path("jobs/", job_queue_views.JobQueueApi.as_view(), name="compat-jobs"),
    # Without the slash too: Django cannot redirect a POST to the slashed path.
    path("jobs", job_queue_views.JobQueueUnslashedApi.as_view(), name="compat-jobs-unslashed"),
    # Before jobs/<job_id>: "health" and "stats" are not job ids.
    path("jobs/health", job_queue_views.JobQueueHealthApi.as_view(), name="compat-jobs-health"),
    path("jobs/stats/counts", job_queue_views.JobQueueCountsApi.as_view(), name="compat-jobs-counts"),
    path("jobs/<str:job_id>", job_queue_views.JobQueueDetailApi.as_view(), name="compat-jobs-detail"),
]
