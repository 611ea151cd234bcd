"""A task for the broker test, importable by dotted path as a worker needs."""

from django.core.cache import cache


def remember(key, value):
    cache.set(key, value)
    return value * 2
