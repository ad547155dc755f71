"""The org chart the way most DRF projects would write it: nested ``ModelSerializer``s over
model instances, with correct ``prefetch_related`` (a fixed number of queries, no N+1), the
tree linked in Python, rendered by DRF's ``JSONRenderer``. Kept here as the baseline the app's
``values()`` + orjson builder (``roles/org_chart.py``) is measured against; it produces the same
``teams`` document for an HR manager."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orgstructure.api.permissions import IsActiveAuthenticated
from roles.models import Duty, Role, RoleStatus
from teams.models import Membership, Team, TeamDuty


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return f"{user.first_name} {user.last_name}".strip() or user.username


class DutySerializer(serializers.ModelSerializer):
    class Meta:
        model = Duty
        fields = ["id", "position", "text", "serves"]


class CoreDutySerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamDuty
        fields = ["id", "position", "text"]


class RoleSerializer(serializers.ModelSerializer):
    duties = DutySerializer(many=True)
    holders = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = ["id", "slug", "title", "status", "headcount", "version", "duties", "holders"]

    def get_holders(self, role) -> list:
        return PersonSerializer([m.user for m in role.holder_memberships], many=True).data


class TeamSerializer(serializers.ModelSerializer):
    leads = serializers.SerializerMethodField()
    core_duties = CoreDutySerializer(many=True)
    roles = RoleSerializer(source="visible_roles", many=True)
    children = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "kind", "description", "leads", "core_duties", "roles", "children"]

    def get_leads(self, team) -> list:
        return PersonSerializer([m.user for m in team.lead_memberships], many=True).data

    def get_children(self, team) -> list:
        return TeamSerializer(team.child_list, many=True, context=self.context).data


def baseline_teams(*, include_drafts: bool = True) -> list:
    statuses = [RoleStatus.ACTIVE, RoleStatus.DRAFT] if include_drafts else [RoleStatus.ACTIVE]
    people = Membership.objects.select_related("user").order_by("user__username", "id")
    teams = list(
        Team.objects.filter(archived=False)
        .order_by("position", "name", "id")
        .prefetch_related(
            Prefetch("core_duties", queryset=TeamDuty.objects.order_by("position")),
            Prefetch("memberships", queryset=people.filter(is_lead=True), to_attr="lead_memberships"),
            Prefetch(
                "roles",
                queryset=Role.objects.filter(status__in=statuses)
                .order_by("title", "id")
                .prefetch_related(
                    Prefetch("duties", queryset=Duty.objects.order_by("position")),
                    Prefetch("memberships", queryset=people, to_attr="holder_memberships"),
                ),
                to_attr="visible_roles",
            ),
        )
    )
    by_id = {t.pk: t for t in teams}
    roots = []
    for team in teams:
        team.child_list = []
    for team in teams:
        parent = by_id.get(team.parent_id)
        (parent.child_list if parent else roots).append(team)
    return TeamSerializer(roots, many=True).data


class BaselineOrgChartView(APIView):
    permission_classes = [IsActiveAuthenticated]

    def get(self, request):
        return Response({"version": "baseline", "generated_at": timezone.now(), "teams": baseline_teams()})
