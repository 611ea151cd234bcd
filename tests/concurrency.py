"""Calls made at the same moment from several threads, as simultaneous requests or workers
make them: what the race tests share. Threads share the database only on PostgreSQL."""

import os
import threading

import pytest
from django.db import connections

#: For tests whose threads must see each other's transactions (SQLite in memory cannot).
needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="concurrent transactions need PostgreSQL",
)


def run_concurrently(fn, n=None, *, args=None):
    """Call ``fn()`` in ``n`` threads, or ``fn(arg)`` in one thread for each of ``args``, all
    released together by a barrier; what the calls returned, in the order of the threads.

    Each thread closes its database connections when its call ends, as a finished request
    does. An exception that a call lets out is raised here once every thread has ended (an
    exception group of all of them): a test expecting one catches it inside ``fn``.
    """
    if (n is None) == (args is None):
        raise TypeError("Give either n or args.")
    calls = [()] * n if args is None else [(arg,) for arg in args]
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def call(index, arguments):
        try:
            start.wait()
            results[index] = fn(*arguments)
        except BaseException as error:  # raised again in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise BaseExceptionGroup(f"{len(errors)} of {len(calls)} concurrent calls failed", errors)
    return results
