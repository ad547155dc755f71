import django_filters

from orgstructure.api.filters import IdFilter
from roles.models import Role, RoleStatus


class RoleFilter(django_filters.FilterSet):
    team = IdFilter(field_name="team_id", help_text="Team id.")
    team_slug = django_filters.CharFilter(field_name="team__slug", max_length=100, help_text="Team slug.")
    status = django_filters.ChoiceFilter(choices=RoleStatus.choices)

    class Meta:
        model = Role
        fields = ["team", "team_slug", "status"]
