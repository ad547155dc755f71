"""Who is asking: the client address the throttles, the sign-in lockout and the logs count by.

One rule, for DRF's throttles (``REST_FRAMEWORK["NUM_PROXIES"]``) and django-axes
(``AXES_CLIENT_IP_CALLABLE``) alike: the address of the connection (``REMOTE_ADDR``), unless
``NUM_PROXIES`` (from the environment) says how many trusted proxies stand in front of the app;
then it is the address the outermost trusted proxy saw: the ``NUM_PROXIES``-th entry of
``X-Forwarded-For`` counted from the right. Entries further left are the client's own words.
"""

from __future__ import annotations

from django.conf import settings


def client_address(request, *, num_proxies: int | None = None) -> str:
    if num_proxies is None:
        num_proxies = settings.NUM_PROXIES
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if not num_proxies or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    return entries[-min(num_proxies, len(entries))] or remote
