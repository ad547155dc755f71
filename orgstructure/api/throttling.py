"""Throttles for the API. Rates live in ``settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class TokenObtainRateThrottle(SimpleRateThrottle):
    """A stricter limit on ``POST /api/v1/auth/token/`` per client address, against password
    guessing (rate ``token``)."""

    scope = "token"

    def get_rate(self):
        # Read at request time (DRF binds the rates at import), so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
