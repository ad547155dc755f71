"""Views of the teams API: teams (with core duties), memberships, project groups, people.

Reads are open to every active signed-in person; writes need an HR manager
(``ReadOnlyOrHRManager``) and every write is a call to a ``teams.services`` function with
``acting_user=request.user``, which checks the permission again and records the change.
Nothing is deleted through the API except memberships and project-group members: teams and
project groups are archived instead.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from orgstructure.api.permissions import IsActiveAuthenticated, ReadOnlyOrHRManager
from orgstructure.api.schema import ErrorResponses
from orgstructure.exceptions import ConflictError
from teams import services
from teams.api.filters import CoreDutyFilter, MembershipFilter, PersonFilter, ProjectGroupFilter, TeamFilter
from teams.api.serializers import (
    CoreDutiesReplaceSerializer,
    CoreDutyListSerializer,
    CoreDutySerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    PersonDetailSerializer,
    ProjectGroupMemberAddSerializer,
    ProjectGroupMemberSerializer,
    ProjectGroupSerializer,
    ProjectGroupWriteSerializer,
    TeamSerializer,
    TeamWriteSerializer,
    Viewer,
)
from teams.models import Membership, ProjectGroup, ProjectGroupMember, Team, TeamDuty

User = get_user_model()


class ViewerContextMixin:
    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["viewer"] = Viewer(self.request.user)
        return context


# --- teams --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List teams",
        description="Every team (archived ones too; filter with `archived=false`), in sibling order by default.",
        responses={200: TeamSerializer(many=True), **ErrorResponses.list()},
    ),
    retrieve=extend_schema(summary="Get a team", responses={200: TeamSerializer, **ErrorResponses.read()}),
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    permission_classes = [ReadOnlyOrHRManager]
    filterset_class = TeamFilter
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["id", "name", "slug", "kind", "position", "created_at", "updated_at"]
    ordering = ["position", "name", "id"]

    def _team_response(self, team: Team, code: int = status.HTTP_200_OK) -> Response:
        team = Team.objects.get(pk=team.pk)
        return Response(self.get_serializer(team).data, status=code)

    @extend_schema(
        summary="Create a team",
        request=TeamWriteSerializer,
        responses={201: TeamSerializer, **ErrorResponses.create()},
    )
    def create(self, request, *args, **kwargs):
        serializer = TeamWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_create(acting_user=request.user, **serializer.validated_data)
        return self._team_response(team, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a team",
        description=(
            "Changes name, slug, kind, description and position. A different `parent` moves the team with "
            "its subtree; a move under the team itself or one of its sub-teams is refused with 400 "
            "(`fields.parent`) and nothing changes. `archived` changes only through `archive`/`unarchive`."
        ),
        request=TeamWriteSerializer,
        responses={200: TeamSerializer, **ErrorResponses.write()},
    )
    def partial_update(self, request, *args, **kwargs):
        team = self.get_object()
        serializer = TeamWriteSerializer(team, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        with transaction.atomic():
            if "parent" in changes:
                new_parent = changes.pop("parent")
                if (new_parent.pk if new_parent else None) != team.parent_id:
                    services.team_move(
                        team=team,
                        new_parent=new_parent,
                        position=changes.pop("position", None),
                        acting_user=request.user,
                    )
            if changes:
                services.team_update(team=team, acting_user=request.user, **changes)
        return self._team_response(team)

    @extend_schema(
        summary="Archive a team",
        description="The team leaves the org chart; refused (400) while it has sub-teams or roles not yet retired.",
        request=None,
        responses={200: TeamSerializer, **ErrorResponses.write()},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        team = services.team_archive(team=self.get_object(), acting_user=request.user)
        return self._team_response(team)

    @extend_schema(
        summary="Restore an archived team",
        description="Refused (400) while the parent team is archived.",
        request=None,
        responses={200: TeamSerializer, **ErrorResponses.write()},
    )
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        team = services.team_unarchive(team=self.get_object(), acting_user=request.user)
        return self._team_response(team)

    @extend_schema(
        methods=["GET"],
        summary="A team's core duties",
        description="The team's core duties, in order.",
        responses={200: CoreDutyListSerializer, **ErrorResponses.read()},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a team's core duties",
        description=(
            "The whole ordered list. An item with the `id` of an existing core duty keeps it (and its id); an "
            "item without one keeps the duty with the same text, if any, or adds a new one. Duties left out are "
            "removed; removing one that role duties still serve is refused with 409 (`core_duty_in_use`): "
            "remap those role duties first."
        ),
        request=CoreDutiesReplaceSerializer,
        responses={200: CoreDutyListSerializer, **ErrorResponses.write(409)},
    )
    @action(detail=True, methods=["get", "put"], url_path="core-duties", filterset_class=None, pagination_class=None)
    def core_duties(self, request, pk=None):
        team = self.get_object()
        if request.method == "PUT":
            serializer = CoreDutiesReplaceSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            try:
                services.team_core_duties_replace(
                    team=team, duties=serializer.validated_data["core_duties"], acting_user=request.user
                )
            except DjangoValidationError as exc:
                if getattr(exc, "code", None) == "protected":
                    raise ConflictError(exc.messages[0], code="core_duty_in_use") from exc
                if hasattr(exc, "error_dict") and "duties" in exc.error_dict:
                    raise DjangoValidationError({"core_duties": exc.error_dict["duties"]}) from exc
                raise
        duties = TeamDuty.objects.filter(team=team).order_by("position", "id")
        return Response(CoreDutyListSerializer({"core_duties": duties}).data)


@extend_schema_view(
    list=extend_schema(
        summary="List core duties",
        description="Core duties of every team (filter with `team=<id or slug>`), by team and position.",
        responses={200: CoreDutySerializer(many=True), **ErrorResponses.list()},
    ),
    retrieve=extend_schema(summary="Get a core duty", responses={200: CoreDutySerializer, **ErrorResponses.read()}),
)
class CoreDutyViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only; a team's list changes as a whole through ``PUT /teams/{id}/core-duties/``."""

    queryset = TeamDuty.objects.all()
    serializer_class = CoreDutySerializer
    permission_classes = [IsActiveAuthenticated]
    filterset_class = CoreDutyFilter
    search_fields = ["text"]
    ordering_fields = ["id", "team", "position"]
    ordering = ["team_id", "position"]


# --- memberships --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List memberships", responses={200: MembershipSerializer(many=True), **ErrorResponses.list()}
    ),
    retrieve=extend_schema(summary="Get a membership", responses={200: MembershipSerializer, **ErrorResponses.read()}),
)
class MembershipViewSet(ViewerContextMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Membership.objects.select_related("user", "team", "role")
    serializer_class = MembershipSerializer
    permission_classes = [ReadOnlyOrHRManager]
    filterset_class = MembershipFilter
    search_fields = ["user__username", "user__first_name", "user__last_name", "team__name", "team__slug"]
    ordering_fields = ["id", "is_lead", "created_at", "updated_at"]
    ordering = ["team__position", "team__name", "-is_lead", "user__username", "id"]

    def _membership_response(self, membership: Membership, code: int = status.HTTP_200_OK) -> Response:
        membership = self.get_queryset().get(pk=membership.pk)
        return Response(self.get_serializer(membership).data, status=code)

    @extend_schema(
        summary="Add a person to a team",
        description="`is_lead: true` also grants the team lead's permission on the team (and its subtree).",
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer, **ErrorResponses.create()},
    )
    def create(self, request, *args, **kwargs):
        serializer = MembershipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_add(acting_user=request.user, **serializer.validated_data)
        return self._membership_response(membership, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a membership's role or lead flag",
        description="Setting `is_lead` grants the team lead's permission; clearing it revokes it.",
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer, **ErrorResponses.write()},
    )
    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        serializer = MembershipUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data:
            membership = services.membership_update(
                membership=membership, acting_user=request.user, **serializer.validated_data
            )
        return self._membership_response(membership)

    @extend_schema(
        summary="Remove a person from a team",
        description="A lead also loses the lead's permission on the team.",
        responses={204: None, **ErrorResponses.delete()},
    )
    def destroy(self, request, *args, **kwargs):
        services.membership_remove(membership=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- project groups -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List project groups", responses={200: ProjectGroupSerializer(many=True), **ErrorResponses.list()}
    ),
    retrieve=extend_schema(
        summary="Get a project group", responses={200: ProjectGroupSerializer, **ErrorResponses.read()}
    ),
)
class ProjectGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ProjectGroup.objects.select_related("owner").prefetch_related(
        Prefetch(
            "members",
            queryset=ProjectGroupMember.objects.select_related("user", "home_team").order_by("user__username", "id"),
        )
    )
    serializer_class = ProjectGroupSerializer
    permission_classes = [ReadOnlyOrHRManager]
    filterset_class = ProjectGroupFilter
    search_fields = ["name", "slug", "purpose"]
    ordering_fields = ["id", "name", "slug", "starts_on", "ends_on", "created_at", "updated_at"]
    ordering = ["name", "id"]

    def _group_response(self, group: ProjectGroup, code: int = status.HTTP_200_OK) -> Response:
        group = self.get_queryset().get(pk=group.pk)
        return Response(self.get_serializer(group).data, status=code)

    @extend_schema(
        summary="Create a project group",
        request=ProjectGroupWriteSerializer,
        responses={201: ProjectGroupSerializer, **ErrorResponses.create()},
    )
    def create(self, request, *args, **kwargs):
        serializer = ProjectGroupWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = services.project_group_create(acting_user=request.user, **serializer.validated_data)
        return self._group_response(group, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a project group",
        description="`archived` changes only through `archive`/`unarchive`, members through `members`.",
        request=ProjectGroupWriteSerializer,
        responses={200: ProjectGroupSerializer, **ErrorResponses.write()},
    )
    def partial_update(self, request, *args, **kwargs):
        group = self.get_object()
        serializer = ProjectGroupWriteSerializer(group, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data:
            group = services.project_group_update(group=group, acting_user=request.user, **serializer.validated_data)
        return self._group_response(group)

    @extend_schema(
        summary="Archive a project group",
        request=None,
        responses={200: ProjectGroupSerializer, **ErrorResponses.write()},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        group = services.project_group_archive(group=self.get_object(), acting_user=request.user)
        return self._group_response(group)

    @extend_schema(
        summary="Restore an archived project group",
        request=None,
        responses={200: ProjectGroupSerializer, **ErrorResponses.write()},
    )
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        group = services.project_group_update(group=self.get_object(), archived=False, acting_user=request.user)
        return self._group_response(group)

    @extend_schema(
        summary="Add a person to a project group",
        description="Refused (400) when the group is archived or the person is already in it.",
        request=ProjectGroupMemberAddSerializer,
        responses={201: ProjectGroupMemberSerializer, **ErrorResponses.write()},
    )
    @action(detail=True, methods=["post"], url_path="members", filterset_class=None)
    def members(self, request, pk=None):
        group = self.get_object()
        serializer = ProjectGroupMemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.project_group_member_add(group=group, acting_user=request.user, **serializer.validated_data)
        member = ProjectGroupMember.objects.select_related("user", "home_team").get(pk=member.pk)
        return Response(ProjectGroupMemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a person from a project group",
        parameters=[OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Person id.")],
        request=None,
        responses={204: None, **ErrorResponses.delete()},
    )
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>[^/.]+)", filterset_class=None)
    def remove_member(self, request, pk=None, user_id=None):
        group = self.get_object()
        if not (user_id.isascii() and user_id.isdigit() and len(user_id) < 19):
            raise Http404
        member = ProjectGroupMember.objects.select_related("group", "home_team").filter(
            group=group, user_id=int(user_id)
        )
        member = member.first()
        if member is None:
            raise Http404
        services.project_group_member_remove(member=member, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- people -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List people",
        description=(
            "The internal directory: active people with their (non-archived) teams. Any signed-in person may "
            "read it; `email` is shown to HR managers only (null for everyone else)."
        ),
        responses={200: PersonDetailSerializer(many=True), **ErrorResponses.list()},
    ),
    retrieve=extend_schema(summary="Get a person", responses={200: PersonDetailSerializer, **ErrorResponses.read()}),
)
class PersonViewSet(ViewerContextMixin, viewsets.ReadOnlyModelViewSet):
    queryset = User.objects.filter(is_active=True).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(team__archived=False)
            .select_related("team", "role")
            .order_by("team__name", "team_id"),
            to_attr="current_memberships",
        )
    )
    serializer_class = PersonDetailSerializer
    permission_classes = [IsActiveAuthenticated]
    filterset_class = PersonFilter
    search_fields = ["username", "first_name", "last_name"]
    ordering_fields = ["id", "username", "first_name", "last_name"]
    ordering = ["username"]
