"""The request our views are given: Django's, plus what django-htmx's middleware adds.

For type checking only: Django still builds a plain ``HttpRequest`` and
``HtmxMiddleware`` sets ``request.htmx`` on every request. django-htmx documents
this subclass as the way to type it (the package does not ship one).
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
