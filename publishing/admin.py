from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from publishing.models import Publication, PublicationState, YouTubeChannel
from publishing.services import PublishActionError, publication_retry


@admin.register(YouTubeChannel)
class YouTubeChannelAdmin(admin.ModelAdmin):
    list_display = ["title", "channel_id", "owner", "connected_at", "access_token_expiry"]
    search_fields = ["title", "channel_id", "owner__username"]
    # Tokens are ciphertext, but there is still no reason to show or edit them here.
    exclude = ["refresh_token", "access_token"]
    readonly_fields = ["owner", "channel_id", "title", "access_token_expiry", "scopes", "connected_at", "updated_at"]


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "state", "progress_pct", "timing", "publish_at", "youtube_video_id", "error_code"]
    list_filter = ["state", "timing", "privacy", "error_code"]
    search_fields = ["title", "youtube_video_id", "owner__username", "job__id"]
    raw_id_fields = ["job", "owner"]
    readonly_fields = [
        "state", "progress_pct", "error", "error_code", "notes", "attempts", "youtube_video_id", "thumbnail_set",
        "caption_languages", "queued_at", "heartbeat_at", "uploaded_at", "created_at", "updated_at",
    ]  # fmt: skip
    actions = ["retry_uploads"]

    @admin.action(description="Retry the selected failed uploads")
    def retry_uploads(self, request: HttpRequest, queryset: QuerySet[Publication]) -> None:
        retried = 0
        for publication in queryset.filter(state__in=[PublicationState.FAILED, PublicationState.CANCELED]):
            try:
                publication_retry(owner=publication.owner, job=publication.job)
                retried += 1
            except PublishActionError as error:
                self.message_user(request, f"{publication}: {error.message}", level=messages.WARNING)
        self.message_user(request, f"Queued {retried} uploads again.")
