"""``GET /api/v1/``: where everything is, for a person exploring the API."""

from __future__ import annotations

from django.urls import NoReverseMatch, get_resolver, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from orgstructure.api.permissions import IsActiveAuthenticated
from orgstructure.api.schema import ErrorResponses

_FIXED = {
    "org-chart": "api:org-chart",
    "changes": "api:changes",
    "auth-token": "api:auth-token",
}


def _list_endpoints() -> dict[str, str]:
    """Every collection route of the ``api`` namespace (``<name>-list``), whichever app adds it."""
    names: dict[str, str] = {}
    resolver = get_resolver()
    api = resolver.namespace_dict.get("api")
    if api is None:
        return names
    for name in api[1].reverse_dict:
        if isinstance(name, str) and name.endswith("-list"):
            try:
                names[name.removesuffix("-list")] = reverse(f"api:{name}")
            except NoReverseMatch:
                continue
    return names


class ApiRootView(APIView):
    permission_classes = [IsActiveAuthenticated]

    @extend_schema(
        operation_id="api_root",
        summary="Links to the API's endpoints",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Endpoint name → URL."),
            **ErrorResponses.of(401),
        },
        tags=["api"],
    )
    def get(self, request):
        links = {key: request.build_absolute_uri(reverse(name)) for key, name in _FIXED.items()}
        links.update({key: request.build_absolute_uri(url) for key, url in sorted(_list_endpoints().items())})
        links["schema"] = request.build_absolute_uri(reverse("schema"))
        links["docs"] = request.build_absolute_uri(reverse("swagger-ui"))
        return Response(links)
