"""Serializers of the teams API.

Read serializers shape the JSON; write serializers only validate input (types, ids that
exist, choices) and hand it to a service in ``teams.services``. Fields a write serializer does
not declare (server-owned ones such as ``id``, ``archived``, ``depth``, ``path``, or unknown
names) are refused with 400, never silently dropped: a script that sends them learns at once
that they did not change.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgstructure.api.people import PersonSerializer, person_of
from orgstructure.api.serializers import RejectUnknownFieldsMixin, StrictCharField
from roles.models import Role
from roles.visibility import RoleVisibility
from teams.models import Membership, ProjectGroup, ProjectGroupMember, Team, TeamDuty
from teams.permissions import is_hr_manager
from teams.selectors import TeamTree
from teams.services import MAX_CORE_DUTIES

User = get_user_model()

POSITION_MAX = 1_000_000


class StrictModelSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    """Input serializer for a model: unknown fields refused, numbers not taken as text."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


# --- viewer context -----------------------------------------------------------------------


class Viewer:
    """What the caller may see, worked out once per request (not once per row)."""

    def __init__(self, user):
        self.user = user
        self.is_hr = is_hr_manager(user)
        self.roles = RoleVisibility.for_user(user)

    def may_see_role(self, role: Role) -> bool:
        return self.roles.can_see(role)


def viewer_from(context: dict[str, Any]) -> Viewer:
    viewer = context.get("viewer")
    if viewer is None:
        request = context.get("request")
        viewer = context["viewer"] = Viewer(getattr(request, "user", None))
    return viewer


# --- small references shared by several resources -----------------------------------------


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class RoleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)


ROLE_REF_HELP = "The role held, or null (also null for a draft role the caller may not see)."


def role_ref(role: Role | None, context: dict[str, Any]) -> dict[str, Any] | None:
    if role is None or not viewer_from(context).may_see_role(role):
        return None
    return {"id": role.pk, "slug": role.slug, "title": role.title}


# --- teams --------------------------------------------------------------------------------


class TeamTreeIndex:
    """Slug, depth and path of every team, from one query (through ``TeamTree``)."""

    def __init__(self):
        self._tree = TeamTree.load(fields=("slug",))

    def slug(self, team_id: int | None) -> str | None:
        return self._tree.values(team_id).get("slug") if team_id is not None else None

    def ancestor_slugs(self, team: Team) -> list[str]:
        return [self._tree.values(pk)["slug"] for pk in self._tree.ancestors(team.pk)]


def tree_index_from(context: dict[str, Any]) -> TeamTreeIndex:
    index = context.get("team_tree_index")
    if index is None:
        index = context["team_tree_index"] = TeamTreeIndex()
    return index


class TeamSerializer(serializers.ModelSerializer):
    parent_slug = serializers.SerializerMethodField(help_text="Slug of the parent team; null for a top-level team.")
    depth = serializers.SerializerMethodField(help_text="0 for a top-level team, 1 for its sub-teams, ...")
    path = serializers.SerializerMethodField(help_text="Slugs of the team's ancestors, from the top-level team down.")

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "description",
            "parent",
            "parent_slug",
            "depth",
            "path",
            "position",
            "archived",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_parent_slug(self, team: Team) -> str | None:
        return tree_index_from(self.context).slug(team.parent_id) if team.parent_id else None

    def get_depth(self, team: Team) -> int:
        return len(self.get_path(team))

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_path(self, team: Team) -> list[str]:
        return tree_index_from(self.context).ancestor_slugs(team)


class TeamWriteSerializer(StrictModelSerializer):
    """Input of ``POST /teams/`` and ``PATCH /teams/{id}/``. A new ``parent`` moves the team
    with its subtree (refused when it would put the team under itself)."""

    parent = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False, help_text="Id of the parent team, or null."
    )
    position = serializers.IntegerField(
        min_value=0, max_value=POSITION_MAX, required=False, help_text="Order among siblings (default: last)."
    )

    class Meta:
        model = Team
        fields = ["name", "slug", "kind", "description", "parent", "position"]
        extra_kwargs = {"slug": {"required": False, "help_text": "Made from the name when left out."}}


class CoreDutySerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamDuty
        fields = ["id", "team", "position", "text"]
        read_only_fields = fields


class TeamCoreDutySerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamDuty
        fields = ["id", "position", "text"]
        read_only_fields = fields


class CoreDutyListSerializer(serializers.Serializer):
    core_duties = TeamCoreDutySerializer(many=True, read_only=True)


class CoreDutyInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of an existing core duty of this team, to keep it (and its id)."
    )
    text = StrictCharField(trim_whitespace=False, help_text="One line; spaces are normalised.")


class CoreDutiesReplaceSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The whole ordered list; items left out are removed (refused while role duties serve them)."""

    core_duties = serializers.ListField(child=CoreDutyInputSerializer(), allow_empty=True, max_length=MAX_CORE_DUTIES)

    def validate_core_duties(self, items: list[dict]) -> list[dict]:
        ids = [item["id"] for item in items if item.get("id") is not None]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("The same core duty id appears twice."))
        return items


# --- memberships --------------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    team = TeamRefSerializer(read_only=True)
    role = serializers.SerializerMethodField(help_text=ROLE_REF_HELP)

    class Meta:
        model = Membership
        fields = ["id", "user", "team", "role", "is_lead", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(RoleRefSerializer(allow_null=True))
    def get_role(self, membership: Membership) -> dict | None:
        return role_ref(membership.role, self.context)


class MembershipCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), help_text="Person id.")
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), help_text="Team id.")
    role = serializers.PrimaryKeyRelatedField(
        queryset=Role.objects.all(), allow_null=True, required=False, help_text="Id of a role of the same team."
    )
    is_lead = serializers.BooleanField(required=False, default=False)


class MembershipUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Only the role and the lead flag change; a move to another team is remove + add."""

    role = serializers.PrimaryKeyRelatedField(
        queryset=Role.objects.all(), allow_null=True, required=False, help_text="Id of a role of the same team."
    )
    is_lead = serializers.BooleanField(required=False)


# --- project groups -----------------------------------------------------------------------


class ProjectGroupMemberSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    home_team = TeamRefSerializer(read_only=True)

    class Meta:
        model = ProjectGroupMember
        fields = ["user", "home_team", "role_in_group"]
        read_only_fields = fields


class ProjectGroupSerializer(serializers.ModelSerializer):
    owner = PersonSerializer(read_only=True, allow_null=True)
    members = ProjectGroupMemberSerializer(many=True, read_only=True)

    class Meta:
        model = ProjectGroup
        fields = [
            "id",
            "name",
            "slug",
            "purpose",
            "owner",
            "starts_on",
            "ends_on",
            "archived",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProjectGroupWriteSerializer(StrictModelSerializer):
    """Input of ``POST /project-groups/`` and ``PATCH /project-groups/{id}/``; ``archived`` changes
    only through the ``archive`` / ``unarchive`` actions, members through ``members``."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False, help_text="Person id, or null."
    )

    class Meta:
        model = ProjectGroup
        fields = ["name", "slug", "purpose", "owner", "starts_on", "ends_on"]
        extra_kwargs = {"slug": {"required": False, "help_text": "Made from the name when left out."}}

    def validate(self, attrs):
        starts_on = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError({"ends_on": [_("A project group cannot end before it starts.")]})
        return attrs


class ProjectGroupMemberAddSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), help_text="Person id.")
    home_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(archived=False), help_text="Id of the team the person comes from."
    )
    role_in_group = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


# --- people -------------------------------------------------------------------------------


class PersonTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    is_lead = serializers.BooleanField(read_only=True)
    role = RoleRefSerializer(read_only=True, allow_null=True, help_text=ROLE_REF_HELP)


class PersonDetailSerializer(serializers.ModelSerializer):
    """A person of the internal directory. ``email`` is null unless the caller is an HR manager."""

    name = serializers.SerializerMethodField(help_text="Full name, or the username when none is set.")
    email = serializers.SerializerMethodField(help_text="Only shown to HR managers; null for everyone else.")
    teams = serializers.SerializerMethodField(help_text="The person's teams that are not archived, by team name.")

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "teams"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return person_of(user)["name"]

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_email(self, user) -> str | None:
        return (user.email or None) if viewer_from(self.context).is_hr else None

    @extend_schema_field(PersonTeamSerializer(many=True))
    def get_teams(self, user) -> list[dict]:
        # ``current_memberships`` is prefetched by the view (non-archived teams, with role).
        return [
            {
                "id": m.team.pk,
                "slug": m.team.slug,
                "name": m.team.name,
                "is_lead": m.is_lead,
                "role": role_ref(m.role, self.context),
            }
            for m in user.current_memberships
        ]
