from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the API's answers to this app's exceptions (bhakti.api.errors.translates).
        from library.api import errors  # noqa: F401
        from library.starting_plans import plan_from_story_template, story_for_topic
        from renders.starting_plans import register_template_planner, register_topic_matcher

        register_template_planner(plan_from_story_template)  # the create page's ?template= and render --template
        register_topic_matcher(story_for_topic)  # a render created from a topic, offline
