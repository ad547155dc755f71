"""Teams (a tree), their core duties, who belongs to them, and cross-team project groups."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords
from tree_queries.models import TreeNode

from orgstructure.models import TimestampedModel
from teams.permissions import TeamPermissions

DUTY_TEXT_MAX_LENGTH = 500


class TeamKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    OPERATIONS = "operations", _("Operations")
    MARKETING = "marketing", _("Marketing")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    TECHNOLOGY = "technology", _("Technology")
    OTHER = "other", _("Other")


class Team(TreeNode, TimestampedModel):
    """A team of the organisation. Teams form a tree through ``parent`` (an adjacency list);
    ``position`` orders siblings. Archived teams stay for history but leave the org chart."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=TeamKind.choices, default=TeamKind.OTHER)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Order among sibling teams."))
    archived = models.BooleanField(_("archived"), default=False, db_index=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["position", "name"]
        permissions = [(TeamPermissions.LEAD_CODENAME, _("Lead the team"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="team_not_own_parent",
                violation_error_message=_("A team cannot be its own parent."),
            ),
        ]

    def clean(self):
        from orgstructure.validation import refuse_control_characters

        super().clean()
        refuse_control_characters(self, "name")

    def __str__(self) -> str:
        return self.name


class TeamDuty(TimestampedModel):
    """One of a team's core duties (what the team as a whole is responsible for), ordered."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="core_duties", verbose_name=_("team"))
    position = models.PositiveIntegerField(_("position"))
    text = models.CharField(_("text"), max_length=DUTY_TEXT_MAX_LENGTH)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("core duty")
        verbose_name_plural = _("core duties")
        ordering = ["team", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "position"],
                name="teamduty_unique_position",
                violation_error_message=_("Two core duties of a team cannot share a position."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="teamduty_text_not_empty",
                violation_error_message=_("A core duty needs a text."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class Membership(TimestampedModel):
    """A person's membership of a team, optionally holding one of the team's roles.
    Leads (``is_lead``) get the team's lead permission through django-guardian."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team"))
    role = models.ForeignKey(
        "roles.Role",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("role"),
    )
    is_lead = models.BooleanField(_("team lead"), default=False, db_index=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["team", "-is_lead", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "team"],
                name="membership_unique_user_team",
                violation_error_message=_("This person is already a member of this team."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team}"


class ProjectGroup(TimestampedModel):
    """A cross-team project group (seed section 3.2): people from several teams working on one
    complex problem for a while."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    purpose = models.TextField(_("purpose"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_project_groups",
        verbose_name=_("owner"),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    archived = models.BooleanField(_("archived"), default=False, db_index=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("project group")
        verbose_name_plural = _("project groups")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="projectgroup_ends_after_start",
                violation_error_message=_("A project group cannot end before it starts."),
            ),
        ]

    def clean(self):
        from orgstructure.validation import refuse_control_characters

        super().clean()
        refuse_control_characters(self, "name")

    def __str__(self) -> str:
        return self.name


class ProjectGroupMember(TimestampedModel):
    """A person in a project group, with the team they come from."""

    group = models.ForeignKey(ProjectGroup, on_delete=models.CASCADE, related_name="members", verbose_name=_("group"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="project_group_memberships",
        verbose_name=_("person"),
    )
    home_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="project_group_members", verbose_name=_("home team")
    )
    role_in_group = models.CharField(_("role in the group"), max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("project group member")
        verbose_name_plural = _("project group members")
        ordering = ["group", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                name="projectgroupmember_unique",
                violation_error_message=_("This person is already in this project group."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class TeamUserObjectPermission(UserObjectPermissionBase):
    """django-guardian object permission of a user on a team (direct foreign key)."""

    content_object = models.ForeignKey(Team, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("team permission of a person")
        verbose_name_plural = _("team permissions of people")


class TeamGroupObjectPermission(GroupObjectPermissionBase):
    """django-guardian object permission of a group on a team (direct foreign key)."""

    content_object = models.ForeignKey(Team, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("team permission of a group")
        verbose_name_plural = _("team permissions of groups")
