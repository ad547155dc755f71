"""Admin forms for roles and their duty lists. They validate input (errors show next to the
field or the duty) and carry the version the editor saw; ``roles.services`` does the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgstructure.validation import clean_duty_text, duplicate_key
from roles.models import Role, RoleRevision
from roles.services import MAX_DUTIES_PER_ROLE
from teams.forms import OrderedListFormSet, PositionedInlineForm
from teams.models import Team


def _who(user) -> str:
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


def stale_role_message(role: Role, *, seen_version: int) -> str:
    """Who changed the role since the editor opened it, and what to do (the same words as
    ``role_duties_replace`` uses for a stale version)."""
    if seen_version != role.version:
        last = RoleRevision.objects.filter(role=role).select_related("author").order_by("-number").first()
        return _(
            "%(role)s was changed by %(who)s since you opened it (you saw version %(seen)d, it is now %(now)d). "
            "Reload to see their changes, then make yours again."
        ) % {
            "role": role.title,
            "who": _who(last.author) if last else _("someone else"),
            "seen": seen_version,
            "now": role.version,
        }
    last_change = role.history.select_related("history_user").order_by("-history_date").first()
    return _(
        "%(role)s was changed by %(who)s since you opened it. Reload to see their changes, then make yours again."
    ) % {"role": role.title, "who": _who(last_change.history_user) if last_change else _("someone else")}


class RoleAdminForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    seen_updated_at = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason for the change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=gettext_lazy("Saved with the new revision of the duty list (optional)."),
    )

    class Meta:
        model = Role
        fields = ["team", "title", "slug", "purpose", "headcount", "status"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if "team" in self.fields:
            self.fields["team"].queryset = Team.objects.filter(archived=False)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = gettext_lazy("Left empty, it is made from the title.")
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version
            self.fields["seen_updated_at"].initial = self.instance.updated_at.isoformat()

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if self.instance.pk:
            self._refuse_stale(cleaned_data)
        return cleaned_data

    def _refuse_stale(self, cleaned_data: dict[str, Any]) -> None:
        """Refuse a form opened before someone else's save. The row stays locked until the
        admin's transaction ends, so nobody can save in between this check and our save."""
        seen_version = cleaned_data.get("expected_version")
        if seen_version is None:
            raise ValidationError(_("This form does not say which version you opened; reload the page."))
        current = Role.objects.select_for_update().get(pk=self.instance.pk)
        seen_updated_at = cleaned_data.get("seen_updated_at")
        if seen_version != current.version or (seen_updated_at and seen_updated_at != current.updated_at.isoformat()):
            raise ValidationError(stale_role_message(current, seen_version=seen_version), code="stale_version")


class DutyInlineForm(PositionedInlineForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["class"] = "vTextField duty-text-input"  # static/css/admin-extra.css


class DutyFormSet(OrderedListFormSet):
    """A role's duty list, edited as a whole: rows sorted by position, deleted rows dropped."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Every row offers the same core duties: read them once, not once per row.
        self._serves_choices = list(self.form.base_fields["serves"].choices)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.fields["serves"].choices = self._serves_choices
        return form

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = self.kept_forms()
        if len(kept) > MAX_DUTIES_PER_ROLE:
            raise ValidationError(_("A role can have at most %(max)d duties.") % {"max": MAX_DUTIES_PER_ROLE})
        seen: dict[str, int] = {}
        for index, form in enumerate(kept):
            try:
                text = clean_duty_text(form.cleaned_data.get("text"), label=_("Duty"))
            except ValidationError as exc:
                form.add_error("text", exc)
                continue
            key = duplicate_key(text)
            if key in seen:
                form.add_error("text", _("This duty repeats duty %(n)d.") % {"n": seen[key] + 1})
            else:
                seen[key] = index

    def service_items(self) -> list[dict[str, Any]]:
        """The list for ``role_duties_replace``: existing duties keep their ids."""
        return [
            {
                "id": form.instance.pk,
                "text": form.cleaned_data["text"],
                "serves": form.cleaned_data["serves"].pk if form.cleaned_data.get("serves") else None,
            }
            for form in self.kept_forms()
        ]
