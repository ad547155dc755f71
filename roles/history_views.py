"""The revision history of a role's duty list: every revision with who, when, why and
through what, and a readable diff (side by side, changed words marked) between any two."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from roles.diffing import duty_list_diff, duty_list_diff_summary
from roles.models import Role, RoleRevision
from roles.textsim import _CJK
from roles.visibility import RoleVisibility

REVISIONS_PER_PAGE = 10
_TOKEN_RE = re.compile(rf"[{_CJK}]|\w+|\s+|[^\w\s]")


def inline_diff(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Both texts as segments ``(op, text)`` with op ``equal``, ``del`` (only in old) or ``ins``
    (only in new): words for Latin text, single characters for Chinese."""
    from difflib import SequenceMatcher

    a, b = _TOKEN_RE.findall(old or ""), _TOKEN_RE.findall(new or "")
    old_parts: list[tuple[str, str]] = []
    new_parts: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            old_parts.append(("equal", "".join(a[i1:i2])))
            new_parts.append(("equal", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            old_parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            new_parts.append(("ins", "".join(b[j1:j2])))
    return old_parts, new_parts


def diff_rows(old: list[dict], new: list[dict]) -> list[dict]:
    """``duty_list_diff`` entries with inline segments for reworded duties."""
    rows = duty_list_diff(old, new)
    serves_text = {d.get("serves"): d.get("serves_text") for d in [*old, *new] if d.get("serves")}
    for row in rows:
        if row["op"] == "changed":
            row["old_parts"], row["new_parts"] = inline_diff(row["old_text"], row["new_text"])
        row["old_serves_text"] = serves_text.get(row["old_serves"]) if row["old_serves"] else None
        row["new_serves_text"] = serves_text.get(row["new_serves"]) if row["new_serves"] else None
        row["serves_changed"] = (
            row["old_text"] is not None and row["new_text"] is not None and (row["old_serves"] != row["new_serves"])
        )
    return rows


class CompareForm(forms.Form):
    old = forms.TypedChoiceField(label=_("From revision"), coerce=int)
    new = forms.TypedChoiceField(label=_("To revision"), coerce=int)

    def __init__(self, *args, numbers: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("old", "new"):
            self.fields[name].choices = numbers

    def clean(self):
        data = super().clean()
        if data.get("old") is not None and data.get("old") == data.get("new"):
            raise forms.ValidationError(_("Choose two different revisions."))
        return data


@login_required
@require_GET
def role_history(request: HttpRequest, pk: int) -> HttpResponse:
    # The yes/no check: who leads what is looked up only when the role is a draft.
    role = get_object_or_404(Role.objects.select_related("team"), pk=pk)
    if not RoleVisibility.for_user(request.user).can_see(role):
        raise Http404
    revisions = RoleRevision.objects.filter(role=role).select_related("author", "restored_from")
    numbers = list(revisions.order_by("-number").values_list("number", "created_at"))
    choices = [(n, _("Revision %(n)d (%(date)s)") % {"n": n, "date": at.date().isoformat()}) for n, at in numbers]
    compare = None
    form = CompareForm(numbers=choices)
    if "old" in request.GET or "new" in request.GET:
        form = CompareForm(request.GET, numbers=choices)
        if form.is_valid():
            pair = {
                r.number: r for r in revisions.filter(number__in=[form.cleaned_data["old"], form.cleaned_data["new"]])
            }
            old, new = pair[form.cleaned_data["old"]], pair[form.cleaned_data["new"]]
            rows = diff_rows(old.duties, new.duties)
            compare = {"old": old, "new": new, "rows": rows, "summary": duty_list_diff_summary(rows)}

    page = Paginator(revisions.order_by("-number"), REVISIONS_PER_PAGE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    previous_of_last = None
    if entries and entries[-1].number > 1:
        previous_of_last = revisions.filter(number__lt=entries[-1].number).order_by("-number").first()
    items = []
    for index, revision in enumerate(entries):
        before = entries[index + 1] if index + 1 < len(entries) else previous_of_last
        rows = diff_rows(before.duties if before else [], revision.duties)
        items.append({"revision": revision, "previous": before, "rows": rows, "summary": duty_list_diff_summary(rows)})
    context = {"role": role, "form": form, "compare": compare, "page": page, "items": items}
    return render(request, "history/role_history.html", context)
