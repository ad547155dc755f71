"""Forms of the review and suggestion pages. They validate input and hand it to a service;
the rules live in ``reviews.services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.models import ReviewOutcome, SuggestionKind
from teams.models import DUTY_TEXT_MAX_LENGTH


class DutyRowForm(forms.Form):
    """One line of the revise list: reword it, move it (position) or remove it."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=1, max_value=999)
    text = forms.CharField(label=_("Duty"), required=False, max_length=DUTY_TEXT_MAX_LENGTH)


DutyRowFormSet = forms.formset_factory(DutyRowForm, extra=3, can_delete=True, max_num=50, absolute_max=60)


def duty_rows_initial(duties) -> list[dict]:
    return [{"id": d.pk, "position": i, "text": d.text} for i, d in enumerate(duties, start=1)]


def duty_rows_to_list(formset, current_duties) -> list[dict]:
    """The proposed list, ordered by the positions the reviewer typed (ties keep the form's
    order); empty and deleted rows are dropped. A kept duty keeps its "serves" link."""
    serves = {d.pk: d.serves_id for d in current_duties}
    rows = []
    for index, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", None) or {}
        text = (data.get("text") or "").strip()
        if not text or data.get("DELETE"):
            continue
        duty_id = data.get("id") if data.get("id") in serves else None
        rows.append(
            (
                data.get("position") or 10_000 + index,
                index,
                {"id": duty_id, "text": text, "serves": serves.get(duty_id)},
            )
        )
    return [item for _pos, _index, item in sorted(rows, key=lambda r: (r[0], r[1]))]


class ReviewSubmitForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when sending back or rejecting: say what to change, or why."),
    )
    onto_current = forms.BooleanField(
        label=_("Apply onto the current list"),
        required=False,
        help_text=_(
            "The role changed since this was proposed. Tick this to merge the proposal with the current duties: "
            "changes made since are kept."
        ),
    )
    expected_version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


def posted_resolutions(data) -> dict[str, dict[str, str]]:
    """The choices HR made for conflicting duties: ``resolve-<duty>`` = current / proposed /
    text, with ``resolve-<duty>-text``."""
    resolutions = {}
    for name, take in data.items():
        if name.startswith("resolve-") and not name.endswith("-text") and take in ("current", "proposed", "text"):
            key = name.removeprefix("resolve-")
            resolutions[key] = {"take": take, "text": (data.get(f"resolve-{key}-text") or "").strip()}
    return resolutions


class ReviewerAssignForm(forms.Form):
    reviewer = forms.CharField(label=_("Username of the reviewer"), max_length=150)


class SuggestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("What do you suggest?"), choices=SuggestionKind.choices)
    duty = forms.TypedChoiceField(
        label=_("Which duty"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("For rewording, removing or moving a duty."),
    )
    proposed_text = forms.CharField(
        label=_("Proposed text"),
        required=False,
        max_length=DUTY_TEXT_MAX_LENGTH,
        help_text=_("The new or reworded duty."),
        widget=forms.TextInput(attrs={"class": "wide"}),
    )
    proposed_position = forms.IntegerField(
        label=_("Position"), required=False, min_value=1, help_text=_("Where the duty should go (1 = first).")
    )
    rationale = forms.CharField(label=_("Why?"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, duties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duty"].choices = [("", "—"), *[(d.pk, f"{i}. {d.text}") for i, d in enumerate(duties, start=1)]]


class CycleCloseForm(forms.Form):
    force = forms.BooleanField(
        label=_("Close even though some reviews are not decided (they become “not reviewed”)"), required=False
    )
