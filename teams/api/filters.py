"""List filters of the teams API. A filter value that cannot be understood (an unknown id or
slug, a wrong type, a boolean other than true/false/1/0) is a 400, never an ignored filter."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from roles.models import Role
from roles.visibility import RoleVisibility
from teams.models import Membership, ProjectGroup, Team, TeamDuty, TeamKind

User = get_user_model()

_TRUE, _FALSE = ("true", "1"), ("false", "0")


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.TypedChoiceFilter):
    """``true``/``false`` (or ``1``/``0``); anything else is refused instead of ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(v, v) for v in (*_TRUE, *_FALSE)])
        kwargs.setdefault("coerce", lambda value: value in _TRUE)
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


class TeamRefFilter(filters.CharFilter):
    """A team given by id or slug; ``null`` (for ``parent``) means none."""

    def __init__(self, *args, allow_null: bool = False, **kwargs):
        self.allow_null = allow_null
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if self.allow_null and value == "null":
            return qs.filter(**{f"{self.field_name}__isnull": True})
        is_id = value.isascii() and value.isdigit() and len(value) < 19
        lookup = {"pk": int(value)} if is_id else {"slug": value}
        team_id = Team.objects.filter(**lookup).values_list("pk", flat=True).first()
        if team_id is None:
            raise ValidationError({self.field_name.rsplit("__", 1)[-1]: [_("No team with this id or slug.")]})
        qs = qs.filter(**{f"{self.field_name}_id": team_id})
        return qs.distinct() if self.distinct else qs


class TeamFilter(filters.FilterSet):
    parent = TeamRefFilter(
        field_name="parent", allow_null=True, help_text="Parent team id or slug; `null` for top-level teams."
    )
    slug = filters.CharFilter(field_name="slug")
    kind = filters.ChoiceFilter(choices=TeamKind.choices)
    archived = StrictBooleanFilter(field_name="archived")

    class Meta:
        model = Team
        fields = ["parent", "slug", "kind", "archived"]


class CoreDutyFilter(filters.FilterSet):
    team = TeamRefFilter(field_name="team", help_text="Team id or slug.")

    class Meta:
        model = TeamDuty
        fields = ["team"]


class MembershipFilter(filters.FilterSet):
    team = TeamRefFilter(field_name="team", help_text="Team id or slug.")
    user = filters.ModelChoiceFilter(queryset=User.objects.all())
    # Only roles the caller may see: a hidden one is the same 400 as one that does not exist.
    role = filters.ModelChoiceFilter(
        queryset=lambda request: RoleVisibility.for_user(getattr(request, "user", None)).filter(Role.objects.all())
    )
    is_lead = StrictBooleanFilter(field_name="is_lead")

    class Meta:
        model = Membership
        fields = ["team", "user", "role", "is_lead"]


class ProjectGroupFilter(filters.FilterSet):
    archived = StrictBooleanFilter(field_name="archived")
    owner = filters.ModelChoiceFilter(queryset=User.objects.all())
    member = filters.ModelChoiceFilter(
        field_name="members__user", queryset=User.objects.all(), distinct=True, help_text="Person id of a member."
    )

    class Meta:
        model = ProjectGroup
        fields = ["archived", "owner", "member"]


class PersonFilter(filters.FilterSet):
    team = TeamRefFilter(field_name="memberships__team", help_text="Team id or slug.", distinct=True)

    class Meta:
        model = User
        fields = ["team"]
