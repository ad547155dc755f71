"""Portal pages for roles: the list of roles one may see, and a role's page with its duties,
its recent revisions and a "Suggest an improvement" form (issue 4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orgstructure.exceptions import ServiceError
from reviews.forms import SuggestionForm
from reviews.models import RoleReview, Suggestion
from reviews.permissions import can_suggest, reviews_visible_to, suggestions_visible_to
from reviews.selectors import suggestion_list
from reviews.services import suggestion_create
from roles.models import Duty, Role, RoleStatus
from roles.permissions import roles_visible_to
from roles.quality import duty_list_issues
from teams.permissions import is_hr_manager, user_leads_team


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    roles = (
        roles_visible_to(request.user, Role.objects.exclude(status=RoleStatus.RETIRED))
        .select_related("team")
        .order_by("team__name", "title")
    )
    return render(request, "roles/role_list.html", {"roles": roles[:2000]})


def _link_decisions(user, revisions: list) -> None:
    """Give each revision the accepted suggestions and approved reviews it came from (those the
    user may open), so the role's history links to them."""
    suggestions = list(suggestions_visible_to(user, Suggestion.objects.filter(applied_revision__in=revisions)))
    reviews = list(reviews_visible_to(user, RoleReview.objects.filter(applied_revision__in=revisions)))
    for revision in revisions:
        revision.linked_suggestions = [s for s in suggestions if s.applied_revision_id == revision.pk]
        revision.linked_reviews = [r for r in reviews if r.applied_revision_id == revision.pk]


@login_required
@require_http_methods(["GET", "POST"])
def role_detail(request: HttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(roles_visible_to(request.user, Role.objects.select_related("team")), pk=pk)
    duties = list(Duty.objects.filter(role=role).select_related("serves").order_by("position"))
    form = SuggestionForm(duties=duties)
    if request.method == "POST":
        form = SuggestionForm(request.POST, duties=duties)
        if form.is_valid():
            data = form.cleaned_data
            by_id = {d.pk: d for d in duties}
            try:
                suggestion = suggestion_create(
                    role=role,
                    kind=data["kind"],
                    duty=by_id.get(data["duty"]),
                    proposed_text=data["proposed_text"],
                    proposed_position=data["proposed_position"],
                    rationale=data["rationale"],
                    acting_user=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Thank you! Your suggestion was sent to HR."))
                return redirect("reviews:suggestion", suggestion.pk)
    revisions = list(role.revisions.select_related("author").order_by("-number")[:10])
    _link_decisions(request.user, revisions)
    return render(
        request,
        "roles/role_detail.html",
        {
            "role": role,
            "duties": duties,
            "form": form,
            "can_suggest": role.status == RoleStatus.ACTIVE and can_suggest(request.user),
            "revisions": revisions,
            "my_suggestions": suggestion_list(user=request.user).filter(role=role).order_by("-created_at")[:20],
            # "Clear and concise" checks, for those who can act on them: HR and the team's leads.
            "quality_issues": duty_list_issues([d.text for d in duties])
            if is_hr_manager(request.user) or user_leads_team(request.user, role.team)
            else None,
        },
    )
