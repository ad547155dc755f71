"""Guards for every /api/ request, before any view runs."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _

from orgstructure.api.errors import error_body
from orgstructure.api.query_contract import query_errors


class ApiQueryStringGuardMiddleware:
    """A NUL character in a query parameter would reach the database as a filter value, which
    PostgreSQL refuses with an error (a 500); refuse it here as a 400 for every API view. Then
    the declared query parameters are checked against the OpenAPI document (query_contract)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            body = error_body(_("Query parameters cannot contain NUL characters."), "invalid")
            return JsonResponse(body, status=400)
        if request.path.startswith("/api/") and request.GET:
            errors = query_errors(request.path, request.method, request.GET)
            if errors:
                name, messages = next(iter(errors.items()))
                body = error_body(f"{name}: {messages[0]}", "invalid", errors)
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return self.get_response(request)
