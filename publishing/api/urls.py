"""Publishing routes, included under /api/v1/publish/ by bhakti/api_urls.py."""

from django.urls import path

from publishing.api import views as api

urlpatterns = [
    path("channel", api.ChannelApi.as_view(), name="api-publish-channel"),
    path("<uuid:job_id>", api.PublicationApi.as_view(), name="api-publish-detail"),
    path("<uuid:job_id>/schedule", api.ScheduleApi.as_view(), name="api-publish-schedule"),
    path("<uuid:job_id>/cancel", api.CancelApi.as_view(), name="api-publish-cancel"),
    path("<uuid:job_id>/retry", api.RetryApi.as_view(), name="api-publish-retry"),
]
