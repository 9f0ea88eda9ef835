from django.urls import include, path

from renders.script_api import ScriptDraftApi

urlpatterns: list = []

# Publishing (YouTube): /api/v1/publish/…
urlpatterns += [path("v1/publish/", include("publishing.api_urls"))]

# Script drafting (OpenAI chat, or a pasted story split locally): /api/v1/scripts/draft
urlpatterns += [path("v1/scripts/draft", ScriptDraftApi.as_view(), name="api-script-draft")]
