import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from reviews.models import (
    CycleState,
    ReviewCycle,
    ReviewSchedule,
    ReviewState,
    RoleReview,
    Suggestion,
    SuggestionKind,
    SuggestionState,
)
from reviews.permissions import cycles_visible_to, schedules_visible_to
from roles.models import Role
from roles.visibility import RoleVisibility

# A filter offers only what the caller may see: naming a hidden role, cycle or schedule is the
# same 400 as naming one that does not exist.


def _user(request):
    return getattr(request, "user", None)


def _visible_roles(request):
    return RoleVisibility.for_user(_user(request)).filter(Role.objects.all())


def _visible_cycles(request):
    return cycles_visible_to(_user(request), ReviewCycle.objects.all())


def _visible_schedules(request):
    return schedules_visible_to(_user(request), ReviewSchedule.objects.all())


def _mine_filter(label: str) -> django_filters.TypedChoiceFilter:
    """``mine=true|false``; anything else is a 400, not silently ignored."""
    return django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="filter_mine",
        label=label,
    )


class ReviewCycleFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=CycleState.choices)
    schedule = django_filters.ModelChoiceFilter(queryset=_visible_schedules)

    class Meta:
        model = ReviewCycle
        fields = ["state", "schedule"]


class RoleReviewFilter(django_filters.FilterSet):
    cycle = django_filters.ModelChoiceFilter(queryset=_visible_cycles)
    role = django_filters.ModelChoiceFilter(queryset=_visible_roles)
    state = django_filters.ChoiceFilter(choices=ReviewState.choices)
    mine = _mine_filter("Only reviews assigned to me")

    class Meta:
        model = RoleReview
        fields = ["cycle", "role", "state"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_mine(self, queryset, name, value):
        return queryset.filter(reviewer=self.request.user) if value else queryset


class SuggestionFilter(django_filters.FilterSet):
    role = django_filters.ModelChoiceFilter(queryset=_visible_roles)
    cycle = django_filters.ModelChoiceFilter(queryset=_visible_cycles)
    state = django_filters.ChoiceFilter(choices=SuggestionState.choices)
    kind = django_filters.ChoiceFilter(choices=SuggestionKind.choices)
    mine = _mine_filter("Only my own suggestions")

    class Meta:
        model = Suggestion
        fields = ["role", "cycle", "state", "kind"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_mine(self, queryset, name, value):
        return queryset.filter(author=self.request.user) if value else queryset
