"""The REST API for integrations (DRF): views, serializers, errors, throttles. See docs/api.md."""
