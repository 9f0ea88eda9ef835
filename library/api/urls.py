"""Story template and library routes, included under /api/v1/ (namespace `api_v1`) by bhakti/api_urls.py."""

from django.urls import path

from library.api import views

urlpatterns = [
    path("templates", views.TemplateListApi.as_view(), name="templates"),
    path("templates/<str:template_id>/plan", views.TemplatePlanApi.as_view(), name="template-plan"),
    path("library", views.LibraryListApi.as_view(), name="library"),
    path("library/<str:job_id>/duplicate", views.LibraryDuplicateApi.as_view(), name="library-duplicate"),
]
