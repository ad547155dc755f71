"""Abstract bases shared by the apps' models."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy


class TimestampedModel(models.Model):
    """Adds ``created_at`` and ``updated_at``."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ChangeEvent(models.Model):
    """One change to the organisation, written by the service that made it (never by a signal),
    in commit order of its id. The API's change feed (`/api/v1/changes/?since=<id>`) reads it
    so that sync scripts can poll; ``team``/``role`` let the feed hide what a reader may not see."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.BigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=300)
    team = models.ForeignKey(
        "teams.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    role = models.ForeignKey(
        "roles.Role", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("role")
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class ApiToken(TokenProxy):
    """A person's API token as the admin shows it: by whose it is, never by its key (DRF's token
    prints its key as its name, which would put keys into pages and the admin's log). Keys are
    shown once, when issued (``orgstructure.tokens.api_token_issue``)."""

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return _("API token of %(user)s") % {"user": self.user.get_username()}
