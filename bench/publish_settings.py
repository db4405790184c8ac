"""Django settings for the publishing benchmarks: the real ones, with a short claim lease.

A killed worker's claim is presumed dead after ``RAPPORT_DELIVERY_LEASE_SECONDS``
(120 s in production, longer than any HTTP timeout); the chaos benchmark uses
5 s so that it finishes in minutes. Set ``PYTHONPATH=bench`` and
``DJANGO_SETTINGS_MODULE=publish_settings`` to use it.
"""

from rapport.settings import *  # noqa: F403

RAPPORT_DELIVERY_LEASE_SECONDS = 5
