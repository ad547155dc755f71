"""Serializers of the roles API: they validate input and shape output; every write is a call
to a ``roles.services`` function in the view."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgstructure.api.people import PersonSerializer, person_of
from orgstructure.api.serializers import RejectUnknownFieldsMixin, StrictCharField
from roles.diffing import duty_list_diff, duty_list_diff_summary
from roles.models import Role, RoleRevision, RoleStatus
from roles.services import MAX_DUTIES_PER_ROLE
from teams.models import DUTY_TEXT_MAX_LENGTH, Team

_SERVER_OWNED = {
    "id": _("The id is set by the server."),
    "version": _("The version is set by the server; send the version you saw in the If-Match header."),
    "team": _("A role's team cannot be changed; create a role in the other team and retire this one."),
    "team_slug": _("A role's team cannot be changed; create a role in the other team and retire this one."),
    "duties": _("Change the duty list with PUT /api/v1/roles/{id}/duties/."),
    "created_at": _("Set by the server."),
    "updated_at": _("Set by the server."),
}


class DutySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True, help_text="1, 2, 3, … in list order.")
    text = serializers.CharField(read_only=True)
    serves = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Id of the team's core duty this duty serves, or null."
    )


class RoleSerializer(serializers.ModelSerializer):
    team_slug = serializers.SlugField(source="team.slug", read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text="Goes up by one on every change to the duty list; it is the role's ETag."
    )

    class Meta:
        model = Role
        fields = [
            "id",
            "team",
            "team_slug",
            "title",
            "slug",
            "purpose",
            "headcount",
            "status",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RoleDetailSerializer(RoleSerializer):
    duties = serializers.SerializerMethodField()

    class Meta(RoleSerializer.Meta):
        fields = [*RoleSerializer.Meta.fields, "duties"]
        read_only_fields = fields

    @extend_schema_field(DutySerializer(many=True))
    def get_duties(self, role: Role) -> list[dict]:
        return [
            {"id": d.pk, "position": d.position, "text": d.text, "serves": d.serves_id}
            for d in sorted(role.duties.all(), key=lambda d: d.position)
        ]


class RoleWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The fields of a role itself (PATCH: any of them)."""

    server_owned = _SERVER_OWNED

    title = StrictCharField(max_length=200)
    slug = serializers.SlugField(max_length=100, required=False)
    purpose = StrictCharField(allow_blank=True, required=False, trim_whitespace=False)
    headcount = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    status = serializers.ChoiceField(choices=RoleStatus.choices, required=False)


class RoleCreateSerializer(RoleWriteSerializer):
    server_owned = {k: v for k, v in _SERVER_OWNED.items() if k != "team"}

    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), help_text="Id of the team the role belongs to (fixed once created)."
    )


class DutyInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """One duty of the new list. ``id`` (optional) keeps an existing duty's identity; ``position``
    is accepted and ignored (the order of the list is the order), so a GET's duties can be sent back."""

    id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    position = serializers.IntegerField(required=False, allow_null=True, write_only=True)
    text = StrictCharField(trim_whitespace=False, allow_blank=True, max_length=DUTY_TEXT_MAX_LENGTH * 4)
    serves = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Id of a core duty of the role's own team, or null."
    )


class DutiesReplaceSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    duties = DutyInputSerializer(many=True, max_length=MAX_DUTIES_PER_ROLE, allow_empty=True)
    reason = StrictCharField(required=False, allow_blank=True, max_length=2000, help_text="Why (kept in the revision).")


class RestoreSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, max_length=2000)


class RevisionDutySerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, required=False)
    position = serializers.IntegerField()
    text = serializers.CharField()
    serves = serializers.IntegerField(allow_null=True)
    serves_text = serializers.CharField(allow_null=True, required=False)


class DiffEntrySerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["unchanged", "added", "removed", "changed", "moved"])
    old_position = serializers.IntegerField(allow_null=True)
    new_position = serializers.IntegerField(allow_null=True)
    old_text = serializers.CharField(allow_null=True)
    new_text = serializers.CharField(allow_null=True)
    old_serves = serializers.IntegerField(allow_null=True)
    new_serves = serializers.IntegerField(allow_null=True)


class DiffSummarySerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()
    moved = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class RevisionSerializer(serializers.Serializer):
    """A revision with its diff against the one before (``previous``, given in the context as
    number → duties; revision 1 is compared with an empty list)."""

    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    author = PersonSerializer(allow_null=True)
    reason = serializers.CharField()
    source = serializers.CharField()
    restored_from = serializers.IntegerField(allow_null=True, help_text="Number of the revision this one restored.")
    duties = RevisionDutySerializer(many=True)
    diff = DiffEntrySerializer(many=True, help_text="Against the previous revision.")
    summary = DiffSummarySerializer()

    def to_representation(self, revision: RoleRevision):
        previous = self.context.get("previous", {}).get(revision.number - 1, [])
        diff = duty_list_diff(previous, revision.duties)
        return {
            "number": revision.number,
            "created_at": revision.created_at.isoformat(),
            "author": person_of(revision.author),
            "reason": revision.reason,
            "source": revision.source,
            "restored_from": revision.restored_from.number if revision.restored_from_id else None,
            "duties": revision.duties,
            "diff": diff,
            "summary": duty_list_diff_summary(diff),
        }
