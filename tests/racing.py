"""Running calls at the same moment in threads, each with its own database connection."""

import threading

from django.db import connection


def race(*calls, timeout: float = 60):
    """Start every call at once (behind a barrier) in its own thread; return, per call,
    ``("ok", result)`` or ``("error", exception)``."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def runner(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
