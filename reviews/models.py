"""Duty-review cycles and improvement suggestions (seed section 3.1).

A ``ReviewSchedule`` opens ``ReviewCycle``s; opening a cycle creates one ``RoleReview`` per
active role in its scope, assigned to a lead. Anyone may file a ``Suggestion`` on an active
role. Approved revise-reviews and accepted suggestions change a duty list only through
``roles.services.role_duties_replace``; the revision it writes is linked from here
(``applied_revision``; reverse accessors ``RoleRevision.reviews`` / ``RoleRevision.suggestions``).
Every transition is a function in ``reviews.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from orgstructure.models import TimestampedModel
from reviews.permissions import ReviewPermissions
from teams.models import DUTY_TEXT_MAX_LENGTH


class ReviewSchedule(TimestampedModel):
    """A recurring review: every ``every_months`` months from ``starts_on`` a cycle of
    ``cycle_length_days`` days opens over ``teams`` (with their subtrees; none = the whole
    organisation). ``next_run_on`` is the start date of the next cycle to open."""

    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("first cycle starts on"))
    every_months = models.PositiveSmallIntegerField(_("every (months)"), default=3)
    cycle_length_days = models.PositiveSmallIntegerField(_("cycle length (days)"), default=14)
    teams = models.ManyToManyField(
        "teams.Team",
        blank=True,
        related_name="review_schedules",
        verbose_name=_("teams"),
        help_text=_("Teams covered, with their sub-teams. Leave empty for the whole organisation."),
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    next_run_on = models.DateField(_("next cycle starts on"), db_index=True)

    class Meta:
        verbose_name = _("review schedule")
        verbose_name_plural = _("review schedules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(every_months__gte=1),
                name="reviewschedule_every_month_or_more",
                violation_error_message=_("A schedule repeats every month at most often."),
            ),
            models.CheckConstraint(
                condition=Q(cycle_length_days__gte=1),
                name="reviewschedule_cycle_length_positive",
                violation_error_message=_("A cycle lasts at least one day."),
            ),
        ]

    def clean(self):
        from orgstructure.validation import refuse_control_characters

        super().clean()
        refuse_control_characters(self, "name")

    def __str__(self) -> str:
        return self.name


class CycleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ReviewCycle(TimestampedModel):
    """One round of duty reviews over the whole organisation or chosen teams (with their
    subtrees): draft → open → closed, or cancelled."""

    name = models.CharField(_("name"), max_length=200)
    schedule = models.ForeignKey(
        ReviewSchedule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cycles",
        verbose_name=_("schedule"),
    )
    teams = models.ManyToManyField(
        "teams.Team",
        blank=True,
        related_name="review_cycles",
        verbose_name=_("teams"),
        help_text=_("Teams covered, with their sub-teams. Leave empty for the whole organisation."),
    )
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"), max_length=16, choices=CycleState.choices, default=CycleState.DRAFT, db_index=True
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed or cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("starts_on")),
                name="reviewcycle_due_after_start",
                violation_error_message=_("A cycle cannot be due before it starts."),
            ),
            models.UniqueConstraint(
                fields=["schedule", "starts_on"],
                condition=Q(schedule__isnull=False),
                name="reviewcycle_one_per_schedule_date",
                violation_error_message=_("This schedule already has a cycle starting on this date."),
            ),
        ]

    def clean(self):
        from orgstructure.validation import refuse_control_characters

        super().clean()
        refuse_control_characters(self, "name")

    def __str__(self) -> str:
        return self.name


class ReviewState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUBMITTED = "submitted", _("Submitted")
    SENT_BACK = "sent_back", _("Sent back")
    APPROVED = "approved", _("Approved")
    NOT_REVIEWED = "not_reviewed", _("Not reviewed")


class ReviewOutcome(models.TextChoices):
    KEEP = "keep", _("Keep as it is")
    REVISE = "revise", _("Revise")


class RoleReview(TimestampedModel):
    """A lead's review of one role's duties in a cycle: pending → submitted → approved, or sent
    back with a note and submitted again; "not reviewed" when the cycle closed without it.
    ``base_version`` is the role version the reviewer saw; ``proposed_duties`` the list they
    proposed (``[{"id", "text", "serves"}]``) when the outcome is "revise"."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("cycle"))
    role = models.ForeignKey("roles.Role", on_delete=models.CASCADE, related_name="reviews", verbose_name=_("role"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="role_reviews",
        verbose_name=_("reviewer"),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING, db_index=True
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReviewOutcome.choices, blank=True)
    proposed_duties = models.JSONField(_("proposed duties"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    base_version = models.PositiveIntegerField(_("based on version"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    applied_revision = models.ForeignKey(
        "roles.RoleRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("applied as revision"),
    )
    reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("role review")
        verbose_name_plural = _("role reviews")
        ordering = ["cycle", "role__team__name", "role__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "role"],
                name="rolereview_one_per_role_and_cycle",
                violation_error_message=_("This role is already reviewed in this cycle."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} ({self.cycle})"


class SuggestionKind(models.TextChoices):
    ADD = "add", _("Add a duty")
    CHANGE = "change", _("Reword a duty")
    REMOVE = "remove", _("Remove a duty")
    REORDER = "reorder", _("Move a duty")
    OTHER = "other", _("Something else")


class SuggestionState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Suggestion(TimestampedModel):
    """Someone's proposal to improve one role's duties: add, reword, remove or move a duty (or
    something else, described in words). open → accepted / rejected / withdrawn.
    ``base_version`` is the role version it was made against; ``duty_text`` keeps the text of
    the duty it is about as it was then."""

    role = models.ForeignKey("roles.Role", on_delete=models.CASCADE, related_name="suggestions", verbose_name=_("role"))
    duty = models.ForeignKey(
        "roles.Duty",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name=_("duty"),
    )
    duty_text = models.CharField(_("duty as it was"), max_length=DUTY_TEXT_MAX_LENGTH, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SuggestionKind.choices)
    proposed_text = models.CharField(_("proposed text"), max_length=DUTY_TEXT_MAX_LENGTH, blank=True)
    proposed_position = models.PositiveIntegerField(_("proposed position"), null=True, blank=True)
    rationale = models.TextField(_("rationale"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="duty_suggestions",
        verbose_name=_("author"),
    )
    base_version = models.PositiveIntegerField(_("based on version"))
    state = models.CharField(
        _("state"), max_length=16, choices=SuggestionState.choices, default=SuggestionState.OPEN, db_index=True
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    cycle = models.ForeignKey(
        ReviewCycle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name=_("joined cycle"),
    )
    applied_revision = models.ForeignKey(
        "roles.RoleRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name=_("applied as revision"),
    )

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at", "-id"]
        permissions = [(ReviewPermissions.DECIDE_SUGGESTION_CODENAME, _("Accept or reject suggestions"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(rationale=""),
                name="suggestion_rationale_not_empty",
                violation_error_message=_("Say why: a suggestion needs a rationale."),
            ),
        ]

    def __str__(self) -> str:
        return _("Suggestion #%(id)s on %(role)s") % {"id": self.pk, "role": self.role}
