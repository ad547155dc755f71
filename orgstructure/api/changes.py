"""``GET /api/v1/changes/?since=<cursor>``: the change feed sync scripts poll.

Every service records a ``ChangeEvent`` in the transaction of its write; the feed lists those
with ``id > since`` in id order. Scripts keep ``next_cursor`` and pass it as ``since`` next
time. Events about a draft role, or a review object, are left out for callers who may not see it.
"""

from __future__ import annotations

from functools import partial

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orgstructure.api.people import PersonSerializer, person_of
from orgstructure.api.permissions import IsActiveAuthenticated
from orgstructure.api.schema import ErrorResponses
from orgstructure.models import ChangeEvent
from teams.permissions import is_hr_manager

MAX_CURSOR = 2**63 - 1
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


class ChangeFeedQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(min_value=0, max_value=MAX_CURSOR, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, required=False, default=DEFAULT_LIMIT)


class ChangeEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The event's cursor: events are listed in increasing id.")
    at = serializers.DateTimeField()
    actor = PersonSerializer(allow_null=True, help_text="Who made the change; null for the system.")
    action = serializers.CharField(help_text="`<entity>.<verb>`, e.g. `role.duties_replaced`, `team.moved`.")
    object_type = serializers.CharField(help_text="e.g. `role`, `team`, `membership`.")
    object_id = serializers.IntegerField()
    object = serializers.CharField(help_text="How the object was named at the time.")
    team = serializers.IntegerField(allow_null=True, help_text="Id of the team concerned, if any.")
    role = serializers.IntegerField(allow_null=True, help_text="Id of the role concerned, if any.")
    data = serializers.JSONField(help_text="Details of the change, by action (e.g. the new version).")

    def to_representation(self, event: ChangeEvent):
        return {
            "id": event.id,
            "at": event.at.isoformat(),
            "actor": person_of(event.actor),
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object": event.object_repr,
            "team": event.team_id,
            "role": event.role_id,
            "data": event.data,
        }


class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeEventSerializer(many=True)
    next_cursor = serializers.IntegerField(help_text="Pass as `since` on the next call.")
    has_more = serializers.BooleanField(help_text="True when more events are waiting: call again right away.")


def change_events_visible_to(user, queryset):
    """Events about draft roles only for HR and the leads of the role's team (or above); events
    about review schedules, cycles, role reviews and suggestions only for those who may see the
    object itself (its name, a draft cycle's or a schedule's, would leak otherwise)."""
    from reviews.models import ReviewCycle, ReviewSchedule, RoleReview, Suggestion
    from reviews.permissions import cycles_visible_to, reviews_visible_to, schedules_visible_to, suggestions_visible_to
    from roles.visibility import RoleVisibility

    if is_hr_manager(user):
        return queryset
    roles = RoleVisibility.for_user(user)
    queryset = roles.filter(queryset, "role__", nullable=True)
    for model, visible_to in (
        (ReviewSchedule, schedules_visible_to),
        (ReviewCycle, cycles_visible_to),
        (RoleReview, partial(reviews_visible_to, roles=roles)),
        (Suggestion, partial(suggestions_visible_to, roles=roles)),
    ):
        visible_ids = visible_to(user, model.objects.all()).values("pk")
        queryset = queryset.exclude(Q(object_type=model._meta.model_name) & ~Q(object_id__in=visible_ids))
    return queryset


class ChangeFeedView(APIView):
    permission_classes = [IsActiveAuthenticated]

    @extend_schema(
        operation_id="changes_list",
        summary="Changes since a cursor",
        description="Events with `id > since`, oldest first, at most `limit`. Keep `next_cursor` and pass it as "
        "`since` next time; start at 0, or at the `X-Change-Cursor` header of the org chart you just pulled.",
        parameters=[
            OpenApiParameter("since", int, description="Cursor: the `next_cursor` of the previous call (default 0)."),
            OpenApiParameter(
                "limit", int, description=f"At most this many events (1–{MAX_LIMIT}, default {DEFAULT_LIMIT})."
            ),
        ],
        responses={200: ChangeFeedSerializer, **ErrorResponses.list()},
        tags=["changes"],
    )
    def get(self, request):
        query = ChangeFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since, limit = query.validated_data["since"], query.validated_data["limit"]
        events = change_events_visible_to(request.user, ChangeEvent.objects.filter(id__gt=since))
        page = list(events.select_related("actor").order_by("id")[: limit + 1])
        has_more = len(page) > limit
        page = page[:limit]
        return Response(
            {
                "results": ChangeEventSerializer(page, many=True).data,
                "next_cursor": page[-1].id if page else since,
                "has_more": has_more,
            }
        )
