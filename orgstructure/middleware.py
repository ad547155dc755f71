"""Middleware for the whole site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from orgstructure.api.errors import error_body

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
        return True
    if request.method == "POST" and request.content_type in _FORM_TYPES:
        try:
            form = request.POST
        except Exception:  # a malformed or too large body: the view reports it, as before
            return False
        return any("\x00" in key or any("\x00" in str(v) for v in values) for key, values in form.lists())
    return False


class NulCharacterGuardMiddleware:
    """A NUL character in a URL, a query parameter or a posted form value is refused with a 400
    on every URL: PostgreSQL refuses NUL in text, so wherever such a value reached a query it
    would be a 500. (JSON bodies are checked by the API's validation: control characters are
    refused field by field.) Pages get an HTML page, the API its JSON error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            message = _("The address or the form contains a NUL character, which is never valid here.")
            if request.path.startswith("/api/"):
                body = error_body(message, "invalid")
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
