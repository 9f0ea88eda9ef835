from django.apps import AppConfig


class AssistantsConfig(AppConfig):
    """The MCP server (`manage.py mcp`): AI assistants drive Bhakti through the same services as the API.

    It sits above every other app (it may import renders, library and publishing); nothing imports it.
    """

    name = "assistants"
    default_auto_field = "django.db.models.BigAutoField"
