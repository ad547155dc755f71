"""The org chart's shape, for the OpenAPI schema only: the view renders plain dicts with orjson
(see ``roles.org_chart``); these serializers are never used to build the document."""

from rest_framework import serializers

from orgstructure.api.people import PersonSerializer
from roles.models import RoleStatus


class OrgChartCoreDutySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = serializers.CharField()


class OrgChartDutySerializer(OrgChartCoreDutySerializer):
    serves = serializers.IntegerField(allow_null=True, help_text="Id of the team's core duty it serves, or null.")


class OrgChartRoleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(
        choices=RoleStatus.choices, help_text="`active`, or `draft` (retired roles are left out)."
    )
    headcount = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The role's duty-list version (its ETag on /api/v1/roles/{id}/).")
    duties = OrgChartDutySerializer(many=True)
    holders = PersonSerializer(many=True, help_text="Members who hold this role.")


class OrgChartTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField()
    leads = PersonSerializer(many=True)
    core_duties = OrgChartCoreDutySerializer(many=True)
    roles = OrgChartRoleSerializer(many=True)


# Sub-teams have the same shape (a recursive component in the schema).
OrgChartTeamSerializer._declared_fields["children"] = OrgChartTeamSerializer(many=True)


class OrgChartSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="Opaque; equals the ETag without quotes.")
    generated_at = serializers.DateTimeField()
    teams = OrgChartTeamSerializer(many=True, help_text="The top teams (or the `root` team).")
