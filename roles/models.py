"""Roles, their ordered duty lists, and the revisions that record every change to a list."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orgstructure.models import TimestampedModel
from teams.models import DUTY_TEXT_MAX_LENGTH, Team, TeamDuty


class RoleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class Role(TimestampedModel):
    """A role in a team (e.g. "Product manager") with its duty list. ``version`` goes up by
    one on every change to the duty list; editors send the version they saw, so a stale edit
    is refused instead of overwriting someone else's."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="roles", verbose_name=_("team"))
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100)
    purpose = models.TextField(_("purpose"), blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), default=1, help_text=_("How many people the role needs."))
    status = models.CharField(
        _("status"), max_length=16, choices=RoleStatus.choices, default=RoleStatus.ACTIVE, db_index=True
    )
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at", "version"])

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["team", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "slug"],
                name="role_unique_slug_in_team",
                violation_error_message=_("This team already has a role with this slug."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="role_title_not_empty",
                violation_error_message=_("A role needs a title."),
            ),
        ]

    def clean(self):
        from orgstructure.validation import refuse_control_characters

        super().clean()
        refuse_control_characters(self, "title")

    def __str__(self) -> str:
        return self.title


class Duty(models.Model):
    """One duty of a role, at a position in the role's list. ``serves`` points at the core duty
    of the role's team that this duty contributes to (or none: an unmapped duty)."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="duties", verbose_name=_("role"))
    position = models.PositiveIntegerField(_("position"))
    text = models.CharField(_("text"), max_length=DUTY_TEXT_MAX_LENGTH)
    serves = models.ForeignKey(
        TeamDuty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="serving_duties",
        verbose_name=_("serves core duty"),
    )

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["role", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "position"],
                name="duty_unique_position",
                violation_error_message=_("Two duties of a role cannot share a position."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="duty_text_not_empty",
                violation_error_message=_("A duty needs a text."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class RevisionSource(models.TextChoices):
    ADMIN = "admin", _("Admin")
    API = "api", _("API")
    REVIEW = "review", _("Review")
    SUGGESTION = "suggestion", _("Suggestion")
    TEMPLATE = "template", _("Template")
    RESTORE = "restore", _("Restore")


class RoleRevision(models.Model):
    """The full duty list of a role as it became at one change: who, when, why and through
    what. Written only by ``roles.services.role_duties_replace``; never edited."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("role"))
    number = models.PositiveIntegerField(_("number"))
    duties = models.JSONField(_("duties"), default=list, help_text=_("Snapshot: [{position, text, serves}]"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="role_revisions",
        verbose_name=_("author"),
    )
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=RevisionSource.choices)
    restored_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restored from"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("role revision")
        verbose_name_plural = _("role revisions")
        ordering = ["role", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(
                fields=["role", "number"],
                name="rolerevision_unique_number",
                violation_error_message=_("This revision number already exists for the role."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} r{self.number}"


# ---------------------------------------------------------------------------------------------
# The overlap index (roles.overlap): kept current by the services that change duty texts.
# ---------------------------------------------------------------------------------------------


class OverlapRelation(models.TextChoices):
    SERVES = "serves", _("restates the core duty it serves")
    SAME_ROLE = "same_role", _("same role")
    SAME_TEAM = "same_team", _("same team")
    CROSS_TEAM = "cross_team", _("different teams")


class OverlapItem(models.Model):
    """One duty in the overlap index: a role duty or a team core duty, with its text as indexed
    and what a pair's relation needs. ``key`` is ``d<id>`` or ``c<id>``."""

    key = models.CharField(_("key"), max_length=24, unique=True)
    duty = models.OneToOneField(Duty, on_delete=models.CASCADE, null=True, related_name="overlap_item")
    core = models.OneToOneField(TeamDuty, on_delete=models.CASCADE, null=True, related_name="overlap_item")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, related_name="+")
    serves_id = models.IntegerField(null=True)
    text = models.CharField(_("text"), max_length=DUTY_TEXT_MAX_LENGTH)

    class Meta:
        verbose_name = _("overlap index entry")
        verbose_name_plural = _("overlap index entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(duty__isnull=False, core__isnull=True) | Q(duty__isnull=True, core__isnull=False),
                name="overlap_item_one_kind",
                violation_error_message=_("An index entry is a role duty or a core duty."),
            )
        ]

    def __str__(self) -> str:
        return self.key


class OverlapTerm(models.Model):
    """Inverted index: one feature (hashed to 63 bits) of one indexed duty, with the size of the
    duty's feature set and of its smallest activity holding the feature (so that a frequent
    feature is looked up only among duties small enough to reach the threshold with it)."""

    item = models.ForeignKey(OverlapItem, on_delete=models.CASCADE, related_name="terms")
    term = models.BigIntegerField()
    whole_size = models.PositiveSmallIntegerField(default=0)
    activity_size = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["term", "item"], name="overlap_term_lookup"),
            models.Index(fields=["term", "whole_size"], name="overlap_term_whole"),
            models.Index(fields=["term", "activity_size"], name="overlap_term_activity"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.term}"


class OverlapPair(models.Model):
    """Two indexed duties whose texts overlap at or above the lowest offered threshold, with the
    activities they share (character spans in both texts). ``item_a`` is the role duty when one
    side is a core duty, else the smaller id. ``texts_hash`` identifies both keys and texts:
    a decision made on it lapses when either text changes."""

    item_a = models.ForeignKey(OverlapItem, on_delete=models.CASCADE, related_name="+")
    item_b = models.ForeignKey(OverlapItem, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    relation = models.CharField(_("relation"), max_length=16, choices=OverlapRelation.choices)
    team_a = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    team_b = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    role_a = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, related_name="+")
    role_b = models.ForeignKey(Role, on_delete=models.CASCADE, null=True, related_name="+")
    shared = models.JSONField(_("shared activities"), default=list)
    texts_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("overlapping pair")
        verbose_name_plural = _("overlapping pairs")
        constraints = [models.UniqueConstraint(fields=["item_a", "item_b"], name="overlap_pair_unique")]
        indexes = [
            models.Index(fields=["-score", "id"], name="overlap_pair_order"),
            models.Index(fields=["texts_hash"], name="overlap_pair_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.item_a_id}~{self.item_b_id} {self.score}"


class OverlapDecision(TimestampedModel):
    """HR's decision that two duties overlap on purpose (a deliberately shared responsibility).
    Holds while both texts are what they were (``texts_hash``)."""

    a_key = models.CharField(max_length=24)
    b_key = models.CharField(max_length=24)
    texts_hash = models.CharField(max_length=64, db_index=True)
    a_text = models.CharField(_("first text"), max_length=DUTY_TEXT_MAX_LENGTH)
    b_text = models.CharField(_("second text"), max_length=DUTY_TEXT_MAX_LENGTH)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("intended overlap")
        verbose_name_plural = _("intended overlaps")
        constraints = [models.UniqueConstraint(fields=["a_key", "b_key"], name="overlap_decision_unique")]

    def __str__(self) -> str:
        return f"{self.a_text} ~ {self.b_text}"


class EquivalentTerm(TimestampedModel):
    """Two terms the overlap analysis treats as the same word (市场调研 ~ 市场分析)."""

    term = models.CharField(_("term"), max_length=50)
    equivalent = models.CharField(_("equivalent"), max_length=50)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("equivalent term")
        verbose_name_plural = _("equivalent terms")
        ordering = ["term", "equivalent"]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "equivalent"],
                name="equivalent_term_unique",
                violation_error_message=_("These two terms are already equivalent."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} ~ {self.equivalent}"
