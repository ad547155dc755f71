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
