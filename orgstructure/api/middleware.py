"""Guards for every /api/ request, before any view runs."""

from __future__ import annotations

from django.http import JsonResponse

from orgstructure.api.errors import error_body
from orgstructure.api.query_contract import query_errors


class ApiQueryStringGuardMiddleware:
    """The declared query parameters are checked against the OpenAPI document (query_contract).
    (NUL characters are refused before this, for the whole site:
    ``orgstructure.middleware.NulCharacterGuardMiddleware``.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and request.GET:
            errors = query_errors(request.path, request.method, request.GET)
            if errors:
                name, messages = next(iter(errors.items()))
                body = error_body(f"{name}: {messages[0]}", "invalid", errors)
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return self.get_response(request)
