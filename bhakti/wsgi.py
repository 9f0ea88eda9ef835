import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bhakti.settings")
application = get_wsgi_application()

# The URLconf (and every view module it imports) loads here, while the worker boots, rather than
# in its first request: ~0.3-1 s that a poll would otherwise wait after every start or recycle.
# Importing touches no database or cache connection.
from django.urls import URLResolver, get_resolver  # noqa: E402 - after the app registry is ready

get_resolver().url_patterns  # noqa: B018 - the property loads the URLconf


def _fill_reverse_tables(resolver: URLResolver) -> None:
    """Build each resolver's reverse table (every pattern's regex compiled and normalised) now.

    Django builds them on the first reverse(), which the first creation in a process pays for:
    ~40 ms unloaded, 150-200 ms with 100 pollers and a burst of creations on two cores, the tail
    of `make load`'s create p99 (four gunicorn processes, four cold creations in a burst of 100).
    """
    resolver.reverse_dict  # noqa: B018 - the property fills the table for the active language
    for _, namespaced in resolver.namespace_dict.values():
        _fill_reverse_tables(namespaced)


_fill_reverse_tables(get_resolver())

# What was loaded so far lives as long as the process: moved out of the collector's generations,
# a full collection no longer walks its ~130,000 objects but only what requests made since. Over
# 1,800 requests in one process (300 creates, 1,500 polls, PostgreSQL + Redis) the one full
# collection held the GIL, stalling every request of the process, for 34 ms instead of 115 ms.
gc.freeze()
