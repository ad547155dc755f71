"""Admin for review schedules and cycles (HR plans them here) and read-only lists of reviews
and suggestions, which link to the decision pages (they show the proposed change as a diff).
Every save and action calls a service."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgstructure.admin import ServiceModelAdmin, copy_saved_fields, service_call
from reviews import services
from reviews.models import CycleState, ReviewCycle, ReviewSchedule, ReviewState, RoleReview, Suggestion


class _ReviewsServiceAdmin(ServiceModelAdmin):
    """Reviews models keep no django-simple-history table (their transitions are recorded in
    the change feed), so the admin's history page is Django's plain one."""

    history_view = admin.ModelAdmin.history_view
    object_history_template = None

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        raise Http404  # there are no historical versions to show

    def has_delete_permission(self, request, obj=None):
        # A cycle is cancelled and a schedule made inactive instead: their reviews and the change
        # feed point at them. (Allowed, the bulk delete would log deletions it then refuses.)
        return False

    def save_related(self, request, form, formsets, change):
        """The service already set the many-to-many fields."""


@admin.register(ReviewSchedule)
class ReviewScheduleAdmin(_ReviewsServiceAdmin):
    list_display = ("name", "every_months", "cycle_length_days", "next_run_on", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    filter_horizontal = ("teams",)
    fields = ("name", "starts_on", "every_months", "cycle_length_days", "teams", "active", "next_run_on")

    def get_readonly_fields(self, request, obj=None):
        return () if obj else ("next_run_on",)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        with service_call():
            if change:
                saved = services.review_schedule_update(schedule=obj, acting_user=request.user, **data)
            else:
                saved = services.review_schedule_create(
                    name=form.cleaned_data["name"],
                    starts_on=form.cleaned_data["starts_on"],
                    every_months=form.cleaned_data["every_months"],
                    cycle_length_days=form.cleaned_data["cycle_length_days"],
                    teams=form.cleaned_data["teams"],
                    active=form.cleaned_data["active"],
                    acting_user=request.user,
                )
        copy_saved_fields(obj, saved)


@admin.register(ReviewCycle)
class ReviewCycleAdmin(_ReviewsServiceAdmin):
    list_display = ("name", "state", "starts_on", "due_on", "progress", "dashboard")
    list_filter = ("state",)
    search_fields = ("name",)
    filter_horizontal = ("teams",)
    fields = ("name", "starts_on", "due_on", "teams", "state", "schedule", "opened_at", "closed_at")
    readonly_fields = ("state", "schedule", "opened_at", "closed_at")
    actions = ("open_cycles", "close_cycles", "close_cycles_force", "cancel_cycles")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                review_count=Count("reviews", distinct=True),
                decided_count=Count(
                    "reviews",
                    filter=Q(reviews__state__in=(ReviewState.APPROVED, ReviewState.NOT_REVIEWED)),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=gettext_lazy("decided"))
    def progress(self, obj):
        return f"{getattr(obj, 'decided_count', 0)} / {getattr(obj, 'review_count', 0)}"

    @admin.display(description=gettext_lazy("dashboard"))
    def dashboard(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("reviews:cycle", args=[obj.pk]), _("Dashboard"))

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        with service_call():
            if change:
                saved = services.review_cycle_update(cycle=obj, acting_user=request.user, **data)
            else:
                saved = services.review_cycle_create(
                    name=form.cleaned_data["name"],
                    starts_on=form.cleaned_data["starts_on"],
                    due_on=form.cleaned_data["due_on"],
                    teams=form.cleaned_data["teams"],
                    acting_user=request.user,
                )
        copy_saved_fields(obj, saved)

    @admin.action(description=gettext_lazy("Open the selected cycles"), permissions=["change"])
    def open_cycles(self, request, queryset):
        self.run_action(
            request,
            queryset,
            lambda c: services.review_cycle_open(cycle=c, acting_user=request.user),
            done=lambda n: _("%(count)d cycles opened.") % {"count": n},
            already=lambda c: c.state == CycleState.OPEN,
        )

    @admin.action(description=gettext_lazy("Close the selected cycles"), permissions=["change"])
    def close_cycles(self, request, queryset):
        self.run_action(
            request,
            queryset,
            lambda c: services.review_cycle_close(cycle=c, acting_user=request.user),
            done=lambda n: _("%(count)d cycles closed.") % {"count": n},
        )

    @admin.action(
        description=gettext_lazy("Close the selected cycles, marking undecided reviews “not reviewed”"),
        permissions=["change"],
    )
    def close_cycles_force(self, request, queryset):
        self.run_action(
            request,
            queryset,
            lambda c: services.review_cycle_close(cycle=c, force=True, acting_user=request.user),
            done=lambda n: _("%(count)d cycles closed.") % {"count": n},
        )

    @admin.action(description=gettext_lazy("Cancel the selected cycles"), permissions=["change"])
    def cancel_cycles(self, request, queryset):
        self.run_action(
            request,
            queryset,
            lambda c: services.review_cycle_cancel(cycle=c, acting_user=request.user),
            done=lambda n: _("%(count)d cycles cancelled.") % {"count": n},
        )


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Decisions happen on the decision pages, which show the proposed change as a diff."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoleReview)
class RoleReviewAdmin(_ReadOnlyAdmin):
    list_display = ("role", "cycle", "reviewer", "state", "outcome", "decide")
    list_filter = ("state", "outcome", "cycle")
    list_select_related = ("role", "cycle", "reviewer")
    search_fields = ("role__title", "reviewer__username")

    @admin.display(description=gettext_lazy("decision page"))
    def decide(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("reviews:review", args=[obj.pk]), _("Decision page"))


@admin.register(Suggestion)
class SuggestionAdmin(_ReadOnlyAdmin):
    list_display = ("pk", "role", "kind", "author", "state", "created_at", "decide")
    list_filter = ("state", "kind")
    list_select_related = ("role", "author")
    search_fields = ("role__title", "proposed_text", "rationale", "author__username")

    @admin.display(description=gettext_lazy("decision page"))
    def decide(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("reviews:suggestion", args=[obj.pk]), _("Decision page"))
