"""Admin forms for teams, memberships and project groups. They validate input (so errors show on
the form, next to the field) and hand it to ``teams.services``; they never save models."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from orgstructure.validation import duplicate_key
from teams.models import Membership, Team
from teams.selectors import team_subtree_ids

TREE_INDENT = "\u2003"  # an em space per level: indentation that survives <select> options


class TeamTreeChoiceField(forms.ModelChoiceField):
    """Teams in tree order, indented by depth, so that choosing a parent shows the tree."""

    def __init__(self, **kwargs: Any):
        super().__init__(queryset=Team.objects.with_tree_fields(), **kwargs)

    def label_from_instance(self, obj: Team) -> str:
        label = TREE_INDENT * getattr(obj, "tree_depth", 0) + obj.name
        return f"{label} ({_('archived')})" if obj.archived else label


class TeamAdminForm(forms.ModelForm):
    parent = TeamTreeChoiceField(
        label=_("parent team"),
        required=False,
        help_text=_("Choose another parent to move the team, with all its sub-teams."),
    )

    class Meta:
        model = Team
        fields = ["name", "slug", "kind", "description", "parent", "position"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Left empty, it is made from the name.")
        if "position" in self.fields:
            self.fields["position"].required = False
            if self.instance.pk is None:
                self.fields["position"].initial = None
                self.fields["position"].help_text = _("Order among sibling teams; left empty, the team goes last.")

    def clean_parent(self) -> Team | None:
        parent = self.cleaned_data.get("parent")
        if parent is None:
            return None
        if self.instance.pk and parent.pk in team_subtree_ids([self.instance.pk]):
            raise ValidationError(
                _("A team cannot be moved under itself or one of its own sub-teams."), code="tree_cycle"
            )
        if parent.archived and parent.pk != self.instance.parent_id:
            raise ValidationError(_("A team cannot be placed under an archived team."), code="archived")
        return parent


class PositionedInlineForm(forms.ModelForm):
    """An inline row of an ordered list. Positions may collide while the list is being
    reordered; the service renumbers the whole list, so the per-row unique checks are off."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].widget.attrs.update({"class": "vIntegerField position-field", "min": 0})

    def validate_unique(self) -> None:
        pass


class OrderedListFormSet(BaseInlineFormSet):
    """The rows of an ordered list (core duties, a role's duties): kept rows sorted by their
    position field (rows without one go last, in the order shown)."""

    def validate_unique(self) -> None:
        pass  # see PositionedInlineForm

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        # The admin's tabular inline shows these fields under column headings only, which
        # screen readers do not announce: name each field after its column and row ("Text 2").
        row = "" if index is None else f" {index + 1}"
        for field in form.fields.values():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's related-object wrapper
            if not widget.is_hidden and field.label:
                widget.attrs["aria-label"] = f"{capfirst(field.label)}{row}"

    def kept_forms(self) -> list[forms.ModelForm]:
        rows = []
        for index, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            position = data.get("position")
            rows.append((position is None, position or 0, index, form))
        return [form for *_key, form in sorted(rows, key=lambda row: row[:3])]


class TeamDutyFormSet(OrderedListFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.kept_forms():
            key = duplicate_key(form.cleaned_data.get("text") or "")
            if key in seen:
                form.add_error("text", _("This core duty appears twice."))
            seen.add(key)

    def service_items(self) -> list[dict[str, Any]]:
        """The list for ``team_core_duties_replace``: existing rows keep their ids."""
        return [{"id": form.instance.pk, "text": form.cleaned_data["text"]} for form in self.kept_forms()]


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "team", "role", "is_lead"]

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        team = cleaned_data.get("team") or (self.instance.team if self.instance.team_id else None)
        role = cleaned_data.get("role")
        if role is not None and team is not None and role.team_id != team.pk:
            self.add_error("role", _("The role must belong to the membership's team."))
        return cleaned_data
