"""Views of the roles API: roles, their duty lists (``If-Match``), revisions, and the org chart.

Reads are open to every active signed-in person, filtered by what they may see (another team's
draft role is a 404); writes need an HR manager and are calls to ``roles.services`` with
``acting_user=request.user`` and ``source="api"``.
"""

from __future__ import annotations

import orjson
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from orgstructure.api.conditional import etag_for_version, expected_version
from orgstructure.api.permissions import IsActiveAuthenticated, ReadOnlyOrHRManagerOnObject
from orgstructure.api.schema import ErrorResponses
from roles import services
from roles.api.filters import RoleFilter
from roles.api.org_chart_schema import OrgChartSerializer
from roles.api.serializers import (
    DutiesReplaceSerializer,
    RestoreSerializer,
    RevisionSerializer,
    RoleCreateSerializer,
    RoleDetailSerializer,
    RoleSerializer,
    RoleWriteSerializer,
)
from roles.models import Duty, RevisionSource, Role, RoleRevision
from roles.org_chart import org_chart_build, org_chart_csv, org_chart_document, org_chart_stamp
from roles.permissions import roles_visible_to

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description='The version you read, as the GET\'s ETag: `"3"`. Missing → 428; stale → 412 (nothing changed).',
)


def _role_with_duties(pk: int) -> Role:
    return (
        Role.objects.select_related("team")
        .prefetch_related(Prefetch("duties", queryset=Duty.objects.order_by("position")))
        .get(pk=pk)
    )


def _role_response(role: Role, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(
        RoleDetailSerializer(role).data, status=status_code, headers={"ETag": etag_for_version(role.version)}
    )


ROLE_ID = OpenApiParameter("id", int, location=OpenApiParameter.PATH, description="Role id.")


@extend_schema_view(
    list=extend_schema(
        summary="Roles you may see",
        description="Active and retired roles, and draft roles if you are HR or lead the role's team (or a team "
        "above). Filter by `team` (id), `team_slug`, `status`; `search` in titles; `ordering` by `title`, `id`, "
        "`updated_at`, `version`, `headcount` (prefix `-` to reverse).",
        responses={200: RoleSerializer(many=True), **ErrorResponses.list(404)},
    ),
    retrieve=extend_schema(
        summary="A role with its ordered duties",
        parameters=[ROLE_ID],
        responses={200: RoleDetailSerializer, **ErrorResponses.read()},
    ),
)
class RoleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReadOnlyOrHRManagerOnObject]
    filterset_class = RoleFilter
    search_fields = ["title"]
    ordering_fields = ["title", "id", "updated_at", "created_at", "version", "headcount"]
    ordering = ["team__position", "team__name", "title", "id"]
    serializer_class = RoleSerializer

    def get_queryset(self):
        queryset = Role.objects.select_related("team")
        if self.action != "list":
            queryset = queryset.prefetch_related(Prefetch("duties", queryset=Duty.objects.order_by("position")))
        return roles_visible_to(self.request.user, queryset)

    def get_serializer_class(self):
        return RoleSerializer if self.action == "list" else RoleDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        return _role_response(self.get_object())

    @extend_schema(
        summary="Create a role (HR)",
        description="The role starts with no duties (version 0); set them with `PUT .../duties/` and "
        '`If-Match: "0"`. `version` and `duties` are refused here (400).',
        request=RoleCreateSerializer,
        responses={201: RoleDetailSerializer, **ErrorResponses.create()},
    )
    def create(self, request, *args, **kwargs):
        serializer = RoleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        role = services.role_create(
            team=data.pop("team"), title=data.pop("title"), acting_user=request.user, source=RevisionSource.API, **data
        )
        return _role_response(_role_with_duties(role.pk), status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a role's own fields (HR)",
        description="Any of `title`, `slug`, `purpose`, `headcount`, `status` (`retired` retires the role). "
        "`team`, `version` and `duties` are server-owned or changed elsewhere: sending them is a 400.",
        parameters=[ROLE_ID],
        request=RoleWriteSerializer(partial=True),
        responses={200: RoleDetailSerializer, **ErrorResponses.write()},
    )
    def partial_update(self, request, *args, **kwargs):
        role = self.get_object()
        serializer = RoleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.role_update(role=role, acting_user=request.user, **serializer.validated_data)
        return _role_response(_role_with_duties(role.pk))

    @extend_schema(
        summary="Replace a role's duty list (HR)",
        description='The whole list, in order: `{"duties": [{"text", "serves"}], "reason"}`. Needs '
        '`If-Match: "<version>"` with the version you read; a stale one is refused with 412 and nothing '
        "changes. Each change bumps `version` by one and writes one revision (source `api`). Sending an unchanged "
        "list changes nothing. Duties may carry the `id` of an existing duty to keep its identity.",
        parameters=[ROLE_ID, IF_MATCH],
        request=DutiesReplaceSerializer,
        responses={200: RoleDetailSerializer, **ErrorResponses.write(409, 412, 428)},
    )
    @action(detail=True, methods=["put"], url_path="duties")
    def duties(self, request, *args, **kwargs):
        role = self.get_object()
        expected = expected_version(request, current=role.version)
        serializer = DutiesReplaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        duties = [
            {"text": item["text"], "serves": item.get("serves"), "id": item.get("id")}
            for item in serializer.validated_data["duties"]
        ]
        services.role_duties_replace(
            role=role,
            duties=duties,
            expected_version=expected,
            acting_user=request.user,
            reason=serializer.validated_data.get("reason", ""),
            source=RevisionSource.API,
        )
        return _role_response(_role_with_duties(role.pk))


REVISION_NUMBER = OpenApiParameter("number", int, location=OpenApiParameter.PATH, description="Revision number.")
REVISION_ROLE = OpenApiParameter("role_pk", int, location=OpenApiParameter.PATH, description="Role id.")


class RoleRevisionViewSet(viewsets.GenericViewSet):
    """Revisions of one visible role, newest first, each with its diff against the one before."""

    permission_classes = [ReadOnlyOrHRManagerOnObject]
    serializer_class = RevisionSerializer
    filter_backends = []
    lookup_field = "number"
    queryset = RoleRevision.objects.none()  # for the schema; the real one is per role

    def get_role(self) -> Role:
        if not hasattr(self, "_role"):
            visible = roles_visible_to(self.request.user, Role.objects.select_related("team"))
            self._role = get_object_or_404(visible, pk=self.kwargs["role_pk"])
        return self._role

    def get_queryset(self):
        return (
            RoleRevision.objects.filter(role=self.get_role())
            .select_related("author", "restored_from")
            .order_by("-number")
        )

    def _previous(self, revisions) -> dict[int, list]:
        wanted = {r.number - 1 for r in revisions} - {r.number for r in revisions} - {0}
        previous = {r.number: r.duties for r in revisions}
        if wanted:
            rows = RoleRevision.objects.filter(role=self.get_role(), number__in=wanted).values_list("number", "duties")
            previous.update(dict(rows))
        return previous

    @extend_schema(
        summary="A role's revisions, newest first",
        parameters=[REVISION_ROLE],
        responses={200: RevisionSerializer(many=True), **ErrorResponses.list(404)},
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            RevisionSerializer(page, many=True, context={"previous": self._previous(page)}).data
        )

    @extend_schema(
        summary="One revision of a role",
        parameters=[REVISION_ROLE, REVISION_NUMBER],
        responses={200: RevisionSerializer, **ErrorResponses.read()},
    )
    def retrieve(self, request, *args, **kwargs):
        revision = self.get_object()
        return Response(RevisionSerializer(revision, context={"previous": self._previous([revision])}).data)

    @extend_schema(
        summary="Make an old revision's list the current one (HR)",
        description="Writes a new revision (source `restore`) through the same path as a duty-list change, so "
        '`If-Match: "<current version>"` is needed too. Core duties that no longer exist are dropped from '
        "`serves`.",
        parameters=[REVISION_ROLE, REVISION_NUMBER, IF_MATCH],
        request=RestoreSerializer,
        responses={200: RoleDetailSerializer, **ErrorResponses.write(409, 412, 428)},
    )
    def restore(self, request, *args, **kwargs):
        revision = self.get_object()
        role = self.get_role()
        expected = expected_version(request, current=role.version)
        serializer = RestoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.role_revision_restore(
            revision=revision,
            expected_version=expected,
            acting_user=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return _role_response(_role_with_duties(role.pk))


class OrgChartQuerySerializer(serializers.Serializer):
    root = serializers.CharField(required=False, max_length=100)
    depth = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class JsonErrorsNegotiation(DefaultContentNegotiation):
    """``?format=csv`` is the org chart's own parameter, not DRF's renderer switch; whatever it
    says, errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # If-None-Match uses the weak comparison: W/"x" matches "x".
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


class OrgChartView(APIView):
    permission_classes = [IsActiveAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsNegotiation

    @extend_schema(
        operation_id="org_chart",
        summary="The whole organisation as one document (or CSV)",
        description="Top teams with their sub-teams, core duties, leads, roles (with ordered duties and holders). "
        "Archived teams and retired roles are left out; draft roles only for HR and the leads of their team. "
        "Send the `ETag` back in `If-None-Match` to get a 304 when nothing changed. The `X-Change-Cursor` header "
        "is the change-feed cursor the document is current to.",
        parameters=[
            OpenApiParameter("root", str, description="Slug of a team: only its subtree."),
            OpenApiParameter(
                "depth", int, description="Levels of sub-teams below the top team(s) to include (0: top only)."
            ),
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="`csv`: one row per duty (team_path, team_slug, role_slug, role_title, duty_position, "
                "duty_text) after a header row, UTF-8 with BOM.",
            ),
            OpenApiParameter("If-None-Match", str, location=OpenApiParameter.HEADER, required=False),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OrgChartSerializer, description="The org chart."),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="With `format=csv`."),
            304: OpenApiResponse(description="Not modified: the `If-None-Match` ETag is current."),
            **ErrorResponses.list(404),
        },
        tags=["org-chart"],
    )
    def get(self, request):
        query = OrgChartQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        root, depth, fmt = (query.validated_data.get(k) for k in ("root", "depth", "format"))
        stamp = org_chart_stamp(request.user)
        version = stamp.version(root, depth, fmt)
        etag = f'"{version}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "X-Change-Cursor": str(stamp.last_event_id)}
        if _etag_matches(request.headers.get("If-None-Match"), etag):
            response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        else:
            teams = org_chart_build(stamp=stamp, root=root, depth=depth)
            if fmt == "csv":
                response = HttpResponse(org_chart_csv(teams), content_type="text/csv; charset=utf-8", headers=headers)
                response["Content-Disposition"] = 'attachment; filename="org-chart.csv"'
            else:
                body = org_chart_document(version=version, teams=teams)
                response = HttpResponse(orjson.dumps(body), content_type="application/json", headers=headers)
        patch_vary_headers(response, ["Authorization", "Cookie"])
        return response
