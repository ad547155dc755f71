from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from roles.selectors import org_overview


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The organisation at a glance: teams (as a tree), their core duties and roles."""
    context = {"teams": org_overview(user=request.user) if request.user.is_authenticated else []}
    return render(request, "home.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
