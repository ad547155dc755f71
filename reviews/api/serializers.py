"""Serializers of the reviews API. Read serializers render what selectors load; write
serializers only check the shape of the input: the rules are in ``reviews.services``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgstructure.api.people import PersonSerializer
from orgstructure.api.serializers import RejectUnknownFieldsMixin, StrictCharField
from reviews.models import (
    ReviewCycle,
    ReviewOutcome,
    ReviewSchedule,
    RoleReview,
    Suggestion,
    SuggestionKind,
)
from teams.models import DUTY_TEXT_MAX_LENGTH, Team

NOTE_MAX = 5000

# Write serializers refuse every field they do not take (RejectUnknownFieldsMixin); these say
# where the field does change, when it does.
_SERVER_OWNED = {
    "id": _("The id is set by the server."),
    "state": _("The state changes only through the actions (open, close, cancel, submit, approve, …)."),
    "author": _("The author is whoever is signed in."),
    "reviewer": _("The reviewer is assigned when the cycle opens (HR can reassign a review in the admin)."),
    "decided_by": _("Set by the server to whoever decides."),
    "decided_at": _("Set by the server."),
    "submitted_at": _("Set by the server."),
    "opened_at": _("Set by the server."),
    "closed_at": _("Set by the server."),
    "base_version": _("Set by the server: the role's version when the proposal was made."),
    "applied_revision": _("Set by the server when a decision changes the duty list."),
    "created_at": _("Set by the server."),
    "updated_at": _("Set by the server."),
}


class _WriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    server_owned = _SERVER_OWNED


class ReviewedRoleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    team = serializers.IntegerField(source="team_id")
    version = serializers.IntegerField(help_text="The role's current duty-list version.")


class RevisionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()


class ProposedDutySerializer(_WriteSerializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, help_text="The id of the existing duty this item keeps (reworded or moved)."
    )
    # Accepted and ignored (the order of the list is the order), so a role's duties can be sent back.
    position = serializers.IntegerField(required=False, allow_null=True, write_only=True)
    text = StrictCharField(max_length=DUTY_TEXT_MAX_LENGTH, trim_whitespace=False)
    serves = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of a core duty of the role's team."
    )


# --- schedules -----------------------------------------------------------------------------


class ReviewScheduleSerializer(serializers.ModelSerializer):
    teams = serializers.SerializerMethodField()

    class Meta:
        model = ReviewSchedule
        fields = [
            "id",
            "name",
            "starts_on",
            "every_months",
            "cycle_length_days",
            "teams",
            "active",
            "next_run_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_teams(self, obj) -> list[int]:
        return [t.pk for t in obj.teams.all()]


class ReviewScheduleWriteSerializer(_WriteSerializer):
    name = StrictCharField(max_length=200)
    starts_on = serializers.DateField()
    every_months = serializers.IntegerField(min_value=1, max_value=24, default=3)
    cycle_length_days = serializers.IntegerField(min_value=1, max_value=366, default=14)
    teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), many=True, required=False, help_text="Team ids; empty for the whole organisation."
    )
    active = serializers.BooleanField(default=True)
    next_run_on = serializers.DateField(required=False, help_text="Only when changing a schedule.")


# --- cycles --------------------------------------------------------------------------------


class ReviewCycleSerializer(serializers.ModelSerializer):
    teams = serializers.SerializerMethodField()
    review_count = serializers.IntegerField(read_only=True, help_text="Reviews in the cycle.")
    decided_count = serializers.IntegerField(read_only=True, help_text="Reviews approved or not reviewed.")

    class Meta:
        model = ReviewCycle
        fields = [
            "id",
            "name",
            "schedule",
            "teams",
            "starts_on",
            "due_on",
            "state",
            "opened_at",
            "closed_at",
            "review_count",
            "decided_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_teams(self, obj) -> list[int]:
        return [t.pk for t in obj.teams.all()]


class ReviewCycleWriteSerializer(_WriteSerializer):
    name = StrictCharField(max_length=200)
    starts_on = serializers.DateField()
    due_on = serializers.DateField()
    teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        many=True,
        required=False,
        help_text="Team ids (each with its subtree); empty for the whole organisation.",
    )


class ReviewCycleCloseSerializer(_WriteSerializer):
    force = serializers.BooleanField(
        default=False,
        help_text="Close although reviews are undecided; they become `not_reviewed`. Without it, 409.",
    )


# --- role reviews --------------------------------------------------------------------------


class RoleReviewSerializer(serializers.ModelSerializer):
    role = ReviewedRoleSerializer()
    reviewer = PersonSerializer(allow_null=True)
    decided_by = PersonSerializer(allow_null=True)
    proposed_duties = ProposedDutySerializer(many=True)
    applied_revision = RevisionRefSerializer(allow_null=True)
    # Declared so that the schema says what the API sends: "" until the review is submitted.
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices, allow_blank=True, read_only=True)

    class Meta:
        model = RoleReview
        fields = [
            "id",
            "cycle",
            "role",
            "reviewer",
            "state",
            "outcome",
            "proposed_duties",
            "comment",
            "base_version",
            "submitted_at",
            "decided_at",
            "decided_by",
            "decision_note",
            "applied_revision",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RoleReviewSubmitSerializer(_WriteSerializer):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    duties = ProposedDutySerializer(
        many=True,
        required=False,
        help_text="With `revise`: the whole proposed list, in order, each kept duty with its `id`. With `keep`: "
        "optional; if sent, it must be the current list.",
    )
    comment = StrictCharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")
    expected_version = serializers.IntegerField(
        required=False, min_value=0, help_text="The role version you reviewed; 412 if it changed since."
    )


class NoBodySerializer(_WriteSerializer):
    """An action that takes no input: any field sent is refused, not ignored."""


class ResolutionSerializer(_WriteSerializer):
    take = serializers.ChoiceField(
        choices=["current", "proposed", "text"],
        help_text="`current`: keep the duty as it is now (removed if it was removed); `proposed`: take the "
        "proposal's version (removed if it removes it); `text`: use `text`.",
    )
    text = StrictCharField(
        required=False, allow_blank=True, max_length=DUTY_TEXT_MAX_LENGTH, default="", trim_whitespace=False
    )

    def validate(self, attrs):
        if attrs["take"] == "text" and not attrs.get("text", "").strip():
            raise serializers.ValidationError({"text": ["Write the duty's text, or take the current or proposed one."]})
        return attrs


class DecisionSerializer(_WriteSerializer):
    note = StrictCharField(required=False, allow_blank=True, max_length=NOTE_MAX, default="")
    onto_current = serializers.BooleanField(
        default=False,
        help_text="The role changed since the proposal (412 without this): merge it into the current list. "
        "Changes made since are kept; a duty changed on both sides (or changed on one and removed on the "
        "other) is a 409 `merge_conflict` that applies nothing and lists those duties in `fields`.",
    )
    resolutions = serializers.DictField(
        child=ResolutionSerializer(),
        required=False,
        default=dict,
        help_text="With `onto_current`, after a 409 `merge_conflict`: duty id (a key of its `fields`) → what to "
        'take, e.g. `{"12": {"take": "current"}, "15": {"take": "text", "text": "..."}}`. Duties not in conflict '
        "are ignored.",
    )
    expected_version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The role version the resolutions were made against (`current_version` of the 409): 412 if the "
        "role changed again since.",
    )


class NoteSerializer(_WriteSerializer):
    note = StrictCharField(max_length=NOTE_MAX, help_text="Required: what to change, or why.")


# --- suggestions ---------------------------------------------------------------------------


class SuggestionSerializer(serializers.ModelSerializer):
    role = ReviewedRoleSerializer()
    author = PersonSerializer(allow_null=True)
    decided_by = PersonSerializer(allow_null=True)
    applied_revision = RevisionRefSerializer(allow_null=True)

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "role",
            "duty",
            "duty_text",
            "kind",
            "proposed_text",
            "proposed_position",
            "rationale",
            "author",
            "base_version",
            "state",
            "decision_note",
            "decided_by",
            "decided_at",
            "cycle",
            "applied_revision",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SuggestionCreateSerializer(_WriteSerializer):
    role = serializers.IntegerField(help_text="Id of an active role (any team's).")
    kind = serializers.ChoiceField(choices=SuggestionKind.choices)
    duty = serializers.IntegerField(
        required=False, allow_null=True, help_text="For change, remove and reorder: the duty's id."
    )
    proposed_text = StrictCharField(
        required=False, allow_blank=True, max_length=DUTY_TEXT_MAX_LENGTH, default="", trim_whitespace=False
    )
    proposed_position = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10_000)
    rationale = StrictCharField(max_length=NOTE_MAX)
