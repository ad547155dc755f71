"""Portal pages for reviews and suggestions: "My reviews" and the review form for leads, "My
suggestions", decision screens and the cycle dashboard for HR. Server-rendered, usable without
JavaScript; every action is a POST that calls one service."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from orgstructure.exceptions import ServiceError, StaleVersionError
from reviews import selectors, services
from reviews.forms import (
    CycleCloseForm,
    DecisionForm,
    DutyRowFormSet,
    ReviewerAssignForm,
    ReviewSubmitForm,
    duty_rows_initial,
    duty_rows_to_list,
    posted_resolutions,
)
from reviews.models import CycleState, ReviewCycle, ReviewOutcome, ReviewState, RoleReview, Suggestion, SuggestionState
from reviews.permissions import (
    can_decide_reviews,
    can_decide_suggestions,
    can_manage_cycles,
    cycles_visible_to,
    may_submit_review,
    reviews_visible_to,
    suggestions_visible_to,
)
from roles.models import Duty


def run_service(request: HttpRequest, call: Callable[[], object], *, success: str, form=None) -> bool:
    """Call a service; on a refusal show its message (or put field errors on ``form``)."""
    try:
        call()
    except StaleVersionError as exc:
        messages.error(request, exc.message)
        return False
    except ServiceError as exc:
        messages.error(request, exc.message)
        return False
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            for field_name, errors in exc.message_dict.items():
                target = field_name if field_name in form.fields else None
                for message in errors:
                    form.add_error(target, message)
        else:
            for message in exc.messages:
                messages.error(request, message)
        return False
    messages.success(request, success)
    return True


def _keep_choices(proposal, data) -> None:
    """After a refused decision, show each conflict with what HR chose and typed (never
    discard their work): ``take`` and ``text`` next to the conflict's three versions."""
    if proposal is None or not getattr(proposal, "conflicts", None):
        return
    posted = posted_resolutions(data)
    proposal.conflicts = [
        SimpleNamespace(
            key=c.key,
            base=c.base,
            current=c.current,
            proposed=c.proposed,
            reason=c.reason,
            take=posted.get(c.key, {}).get("take", ""),
            text=data.get(f"resolve-{c.key}-text", ""),
        )
        for c in proposal.conflicts
    ]


# --- reviews -------------------------------------------------------------------------------


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    reviews = list(selectors.review_list(user=request.user, mine=True)[:500])
    today = timezone.localdate()
    for review in reviews:
        review.overdue = (
            review.cycle.state == CycleState.OPEN
            and review.state in (ReviewState.PENDING, ReviewState.SENT_BACK)
            and review.cycle.due_on < today
        )
    return render(request, "reviews/my_reviews.html", {"reviews": reviews})


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(
        reviews_visible_to(request.user, RoleReview.objects.select_related(*selectors.REVIEW_RELATED)), pk=pk
    )
    duties = list(Duty.objects.filter(role=review.role).order_by("position"))
    may_submit = (
        may_submit_review(request.user, review)
        and review.cycle.state == CycleState.OPEN
        and review.state in (ReviewState.PENDING, ReviewState.SENT_BACK)
    )
    may_decide = can_decide_reviews(request.user) and review.cycle.state == CycleState.OPEN
    submit_form = formset = decision_form = assign_form = None
    if may_submit:
        initial_rows = duty_rows_initial(duties)
        if review.state == ReviewState.SENT_BACK and review.outcome == ReviewOutcome.REVISE:
            # The earlier proposal, with what HR changed since merged in (never silently undone).
            rebased, conflicts = services.review_proposal_rebased(review)
            initial_rows = [
                {"id": item.get("id"), "position": i, "text": item["text"]} for i, item in enumerate(rebased, start=1)
            ]
            if conflicts and request.method == "GET":
                messages.warning(
                    request,
                    _(
                        "The role changed since your earlier proposal. Your proposal was carried over onto the "
                        "current list; these duties were changed on both sides and show the current version: "
                        "%(duties)s. Check them before submitting."
                    )
                    % {
                        "duties": "; ".join(
                            f"“{(c.current or c.base)['text']}”" for c in conflicts if c.current or c.base
                        )
                    },
                )
        submit_form = ReviewSubmitForm(
            initial={
                "outcome": review.outcome or ReviewOutcome.KEEP,
                "comment": review.comment,
                "expected_version": review.role.version,
            }
        )
        formset = DutyRowFormSet(initial=initial_rows, prefix="duties")
    if may_decide:
        decision_form = DecisionForm()
        assign_form = ReviewerAssignForm()

    if request.method == "POST":
        action = request.POST.get("action")
        if action == "submit" and may_submit:
            submit_form = ReviewSubmitForm(request.POST)
            formset = DutyRowFormSet(request.POST, initial=initial_rows, prefix="duties")
            if submit_form.is_valid() and formset.is_valid():
                data = submit_form.cleaned_data
                # Keep sends the list too when it was edited in the form: the service refuses such a Keep.
                edited = data["outcome"] == ReviewOutcome.REVISE or formset.has_changed()
                proposed = duty_rows_to_list(formset, duties) if edited else None
                if run_service(
                    request,
                    lambda: services.role_review_submit(
                        review=review,
                        outcome=data["outcome"],
                        duties=proposed,
                        comment=data["comment"],
                        expected_version=data["expected_version"],
                        acting_user=request.user,
                    ),
                    success=_("Your review was submitted. HR will decide on it."),
                    form=submit_form,
                ):
                    return redirect("reviews:my_reviews")
        elif action in ("approve", "send_back") and may_decide:
            decision_form = DecisionForm(request.POST)
            if decision_form.is_valid():
                data = decision_form.cleaned_data
                if action == "approve":
                    call = lambda: services.role_review_approve(  # noqa: E731
                        review=review,
                        note=data["note"],
                        onto_current=data["onto_current"],
                        resolutions=posted_resolutions(request.POST),
                        expected_version=data["expected_version"],
                        acting_user=request.user,
                    )
                    success = _("The review was approved.")
                else:
                    call = lambda: services.role_review_send_back(  # noqa: E731
                        review=review, note=data["note"], acting_user=request.user
                    )
                    success = _("The review was sent back to the reviewer.")
                if run_service(request, call, success=success, form=decision_form):
                    return redirect("reviews:cycle", review.cycle_id)
        elif action == "assign" and may_decide:
            assign_form = ReviewerAssignForm(request.POST)
            if assign_form.is_valid():
                reviewer = get_user_model().objects.filter(username=assign_form.cleaned_data["reviewer"]).first()
                if reviewer is None:
                    assign_form.add_error("reviewer", _("No one has this username."))
                elif run_service(
                    request,
                    lambda: services.role_review_assign(review=review, reviewer=reviewer, acting_user=request.user),
                    success=_("The reviewer was changed."),
                    form=assign_form,
                ):
                    return redirect("reviews:review", review.pk)
        else:
            raise PermissionDenied(_("You cannot do this with this review."))
        review.refresh_from_db()

    proposal = selectors.review_proposal(review)
    if request.method == "POST":
        _keep_choices(proposal, request.POST)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "duties": duties,
            "proposal": proposal,
            "submit_form": submit_form,
            "formset": formset,
            "decision_form": decision_form if review.state == ReviewState.SUBMITTED else None,
            # HR may approve a list its author wrote while leading, but knowingly.
            "author_left": bool(
                decision_form
                and review.state == ReviewState.SUBMITTED
                and review.reviewer_id
                and not services.reviewer_still_leads(review)
            ),
            "assign_form": assign_form if review.state in (ReviewState.PENDING, ReviewState.SENT_BACK) else None,
        },
    )


# --- suggestions ---------------------------------------------------------------------------


@login_required
def my_suggestions(request: HttpRequest) -> HttpResponse:
    own = list(selectors.suggestion_list(user=request.user).filter(author=request.user).order_by("-created_at")[:500])
    on_my_teams = list(
        selectors.suggestions_on_led_teams(user=request.user).exclude(author=request.user).order_by("-created_at")[:500]
    )
    open_for_hr = []
    if can_decide_suggestions(request.user):
        open_for_hr = list(
            selectors.suggestion_list(user=request.user).filter(state=SuggestionState.OPEN).order_by("created_at")[:500]
        )
    return render(
        request,
        "reviews/my_suggestions.html",
        {"own": own, "on_my_teams": on_my_teams, "open_for_hr": open_for_hr},
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = get_object_or_404(
        suggestions_visible_to(request.user, Suggestion.objects.select_related(*selectors.SUGGESTION_RELATED)), pk=pk
    )
    may_decide = can_decide_suggestions(request.user) and suggestion.state == SuggestionState.OPEN
    may_withdraw = suggestion.author_id == request.user.pk and suggestion.state == SuggestionState.OPEN
    decision_form = DecisionForm() if may_decide else None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "withdraw" and may_withdraw:
            if run_service(
                request,
                lambda: services.suggestion_withdraw(suggestion=suggestion, acting_user=request.user),
                success=_("Your suggestion was withdrawn."),
            ):
                return redirect("reviews:my_suggestions")
        elif action in ("accept", "reject") and may_decide:
            decision_form = DecisionForm(request.POST)
            if decision_form.is_valid():
                data = decision_form.cleaned_data
                if action == "accept":
                    call = lambda: services.suggestion_accept(  # noqa: E731
                        suggestion=suggestion,
                        note=data["note"],
                        onto_current=data["onto_current"],
                        resolutions=posted_resolutions(request.POST),
                        expected_version=data["expected_version"],
                        acting_user=request.user,
                    )
                    success = _("The suggestion was accepted.")
                else:
                    call = lambda: services.suggestion_reject(  # noqa: E731
                        suggestion=suggestion, note=data["note"], acting_user=request.user
                    )
                    success = _("The suggestion was rejected.")
                if run_service(request, call, success=success, form=decision_form):
                    return redirect("reviews:suggestion", suggestion.pk)
        else:
            raise PermissionDenied(_("You cannot do this with this suggestion."))
        suggestion.refresh_from_db()
    proposal = selectors.suggestion_proposal(suggestion)
    if request.method == "POST":
        _keep_choices(proposal, request.POST)
    return render(
        request,
        "reviews/suggestion_detail.html",
        {
            "suggestion": suggestion,
            "proposal": proposal,
            "decision_form": decision_form if suggestion.state == SuggestionState.OPEN else None,
            "may_withdraw": suggestion.state == SuggestionState.OPEN and suggestion.author_id == request.user.pk,
        },
    )


# --- cycles (HR) ---------------------------------------------------------------------------


def _require_cycle_manager(request: HttpRequest) -> None:
    if not can_manage_cycles(request.user):
        raise PermissionDenied(_("Only HR managers can see the cycle dashboard."))


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    _require_cycle_manager(request)
    cycles = list(cycles_visible_to(request.user, selectors.cycle_list_with_progress())[:200])
    return render(request, "reviews/cycle_list.html", {"cycles": cycles})


@login_required
@require_http_methods(["GET", "POST"])
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_cycle_manager(request)
    cycle = get_object_or_404(cycles_visible_to(request.user, ReviewCycle.objects.all()), pk=pk)
    close_form = CycleCloseForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "open":
            call, success = (
                lambda: services.review_cycle_open(cycle=cycle, acting_user=request.user),
                _("The cycle is open; reviewers were notified."),
            )
        elif action == "close":
            close_form = CycleCloseForm(request.POST)
            force = close_form.is_valid() and close_form.cleaned_data["force"]
            call, success = (
                lambda: services.review_cycle_close(cycle=cycle, force=force, acting_user=request.user),
                _("The cycle is closed."),
            )
        elif action == "cancel":
            call, success = (
                lambda: services.review_cycle_cancel(cycle=cycle, acting_user=request.user),
                _("The cycle was cancelled."),
            )
        else:
            raise PermissionDenied(_("Unknown action."))
        if run_service(request, call, success=success):
            return redirect("reviews:cycle", cycle.pk)
        cycle.refresh_from_db()
    return render(
        request,
        "reviews/cycle_detail.html",
        {"dashboard": selectors.cycle_dashboard(cycle=cycle), "cycle": cycle, "close_form": close_form},
    )
