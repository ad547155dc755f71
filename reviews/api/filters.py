import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from reviews.models import CycleState, ReviewCycle, ReviewState, RoleReview, Suggestion, SuggestionKind, SuggestionState


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

    class Meta:
        model = ReviewCycle
        fields = ["state", "schedule"]


class RoleReviewFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ReviewState.choices)
    mine = _mine_filter("Only reviews assigned to me")

    class Meta:
        model = RoleReview
        fields = ["cycle", "role", "state"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_mine(self, queryset, name, value):
        return queryset.filter(reviewer=self.request.user) if value else queryset


class SuggestionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=SuggestionState.choices)
    kind = django_filters.ChoiceFilter(choices=SuggestionKind.choices)
    mine = _mine_filter("Only my own suggestions")

    class Meta:
        model = Suggestion
        fields = ["role", "cycle", "state", "kind"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_mine(self, queryset, name, value):
        return queryset.filter(author=self.request.user) if value else queryset
