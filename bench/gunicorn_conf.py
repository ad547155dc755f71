"""gunicorn settings for the bench: after every request a worker writes its peak resident
memory (``ru_maxrss``) to ``$BENCH_RSS_DIR/<pid>``, so the harness can read each worker's peak."""

import os
import resource

accesslog = None
timeout = 300
graceful_timeout = 5


def post_request(worker, req, environ, resp):
    directory = os.environ.get("BENCH_RSS_DIR")
    if directory:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(os.path.join(directory, str(os.getpid())), "w") as f:
            f.write(str(peak_kib))
