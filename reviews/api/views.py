"""Views of the reviews API: schedules, cycles (open / close / cancel), role reviews (submit /
approve / request-changes, ``?mine=true``) and suggestions (accept / reject / withdraw).

Lists are filtered by what the caller may see (``reviews.permissions``): objects they may not
see are 404. Every write calls one ``reviews.services`` function with ``acting_user``, which
checks the permission (403) and the state (409, nothing changed) again. A proposal whose role
changed since it was made is 412 unless ``onto_current`` is sent.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from orgstructure.api.permissions import IsActiveAuthenticated
from orgstructure.api.schema import ErrorResponses, merge_conflict_response
from reviews import selectors, services
from reviews.api.filters import ReviewCycleFilter, RoleReviewFilter, SuggestionFilter
from reviews.api.serializers import (
    DecisionSerializer,
    NoBodySerializer,
    NoteSerializer,
    ReviewCycleCloseSerializer,
    ReviewCycleSerializer,
    ReviewCycleWriteSerializer,
    ReviewScheduleSerializer,
    ReviewScheduleWriteSerializer,
    RoleReviewSerializer,
    RoleReviewSubmitSerializer,
    SuggestionCreateSerializer,
    SuggestionSerializer,
)
from reviews.models import ReviewCycle, ReviewSchedule, ReviewState
from reviews.permissions import cycles_visible_to, schedules_visible_to
from roles.models import Duty, Role
from roles.permissions import roles_visible_to

_TRANSITION = ErrorResponses.write(409)


# --- schedules -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List review schedules",
        description="HR managers and Org readers see every schedule; others get an empty list.",
        responses={200: ReviewScheduleSerializer(many=True), **ErrorResponses.list()},
    ),
    retrieve=extend_schema(
        summary="Get a review schedule", responses={200: ReviewScheduleSerializer, **ErrorResponses.read()}
    ),
)
class ReviewScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewScheduleSerializer
    permission_classes = [IsActiveAuthenticated]
    search_fields = ["name"]
    ordering_fields = ["id", "name", "next_run_on"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return schedules_visible_to(self.request.user, ReviewSchedule.objects.prefetch_related("teams"))

    def _respond(self, schedule, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=schedule.pk)).data, status=code)

    @extend_schema(
        summary="Create a review schedule",
        description="HR only. Its first cycle opens on `starts_on` when `run_review_schedules` runs (cron).",
        request=ReviewScheduleWriteSerializer,
        responses={201: ReviewScheduleSerializer, **ErrorResponses.create()},
    )
    def create(self, request, *args, **kwargs):
        serializer = ReviewScheduleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("next_run_on", None)
        schedule = services.review_schedule_create(acting_user=request.user, **data)
        return self._respond(schedule, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a review schedule",
        request=ReviewScheduleWriteSerializer(partial=True),
        responses={200: ReviewScheduleSerializer, **ErrorResponses.write()},
    )
    def partial_update(self, request, *args, **kwargs):
        schedule = self.get_object()
        serializer = ReviewScheduleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        schedule = services.review_schedule_update(
            schedule=schedule, acting_user=request.user, **serializer.validated_data
        )
        return self._respond(schedule)


# --- cycles --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List review cycles",
        description="HR and Org readers see every cycle; others see the ones that have been opened.",
        responses={200: ReviewCycleSerializer(many=True), **ErrorResponses.list()},
    ),
    retrieve=extend_schema(
        summary="Get a review cycle", responses={200: ReviewCycleSerializer, **ErrorResponses.read()}
    ),
)
class ReviewCycleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewCycleSerializer
    permission_classes = [IsActiveAuthenticated]
    filterset_class = ReviewCycleFilter
    search_fields = ["name"]
    ordering_fields = ["id", "starts_on", "due_on", "name"]
    ordering = ["-starts_on", "-id"]

    def get_queryset(self):
        qs = ReviewCycle.objects.prefetch_related("teams").annotate(
            review_count=Count("reviews", distinct=True),
            decided_count=Count(
                "reviews",
                filter=Q(reviews__state__in=(ReviewState.APPROVED, ReviewState.NOT_REVIEWED)),
                distinct=True,
            ),
        )
        return cycles_visible_to(self.request.user, qs)

    def _respond(self, cycle, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=cycle.pk)).data, status=code)

    @extend_schema(
        summary="Plan a review cycle",
        description="HR only. The cycle is a draft until it is opened.",
        request=ReviewCycleWriteSerializer,
        responses={201: ReviewCycleSerializer, **ErrorResponses.create()},
    )
    def create(self, request, *args, **kwargs):
        serializer = ReviewCycleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cycle = services.review_cycle_create(acting_user=request.user, **serializer.validated_data)
        return self._respond(cycle, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a review cycle",
        description="Name and due date while draft or open; teams and start date only while draft (else 409).",
        request=ReviewCycleWriteSerializer(partial=True),
        responses={200: ReviewCycleSerializer, **_TRANSITION},
    )
    def partial_update(self, request, *args, **kwargs):
        cycle = self.get_object()
        serializer = ReviewCycleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        cycle = services.review_cycle_update(cycle=cycle, acting_user=request.user, **serializer.validated_data)
        return self._respond(cycle)

    @extend_schema(
        summary="Open a draft cycle",
        description=(
            "Creates one review per active role in scope, assigned to a lead of the role's team or the nearest "
            "team above (none when no lead exists anywhere), and mails the reviewers. 409 unless draft."
        ),
        request=None,
        responses={200: ReviewCycleSerializer, **_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        return self._respond(services.review_cycle_open(cycle=self.get_object(), acting_user=request.user))

    @extend_schema(
        summary="Close an open cycle",
        description="409 while reviews are undecided, unless `force`: they become `not_reviewed`.",
        request=ReviewCycleCloseSerializer,
        responses={200: ReviewCycleSerializer, **_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        cycle = self.get_object()
        serializer = ReviewCycleCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(
            services.review_cycle_close(cycle=cycle, force=serializer.validated_data["force"], acting_user=request.user)
        )

    @extend_schema(
        summary="Cancel a draft or open cycle",
        description="Undecided reviews become `not_reviewed`. 409 when already closed or cancelled.",
        request=None,
        responses={200: ReviewCycleSerializer, **_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        return self._respond(services.review_cycle_cancel(cycle=self.get_object(), acting_user=request.user))


# --- role reviews --------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List role reviews",
        description="HR sees every review; others the reviews assigned to them. `mine=true`: assigned to me.",
        responses={200: RoleReviewSerializer(many=True), **ErrorResponses.list()},
    ),
    retrieve=extend_schema(summary="Get a role review", responses={200: RoleReviewSerializer, **ErrorResponses.read()}),
)
class RoleReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RoleReviewSerializer
    permission_classes = [IsActiveAuthenticated]
    filterset_class = RoleReviewFilter
    search_fields = ["role__title"]
    ordering_fields = ["id", "submitted_at", "state"]
    ordering = ["-cycle__starts_on", "cycle_id", "role__title", "id"]

    def get_queryset(self):
        return selectors.review_list(user=self.request.user)

    def _respond(self, review):
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(
        summary="Submit a review",
        description=(
            "By the assigned reviewer (or HR), while pending or sent back (else 409). `keep`, or `revise` with the "
            "whole proposed list (`duties`), which must differ from the current one. Send each kept or reworded "
            "duty's `id` so a later merge knows which duty it is (an item without one is the duty with the same "
            "text, if any, else a new duty). `keep` with a `duties` list that differs from the current one is a "
            "400 (the edits would be lost). `expected_version`: 412 if the role changed since you read it."
        ),
        request=RoleReviewSubmitSerializer,
        responses={200: RoleReviewSerializer, **ErrorResponses.write(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        review = self.get_object()
        serializer = RoleReviewSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = services.role_review_submit(
            review=review,
            outcome=data["outcome"],
            duties=[dict(d) for d in data["duties"]] if "duties" in data else None,
            comment=data["comment"],
            expected_version=data.get("expected_version"),
            acting_user=request.user,
        )
        return self._respond(review)

    @extend_schema(
        summary="Approve a submitted review",
        description=(
            "HR only. A `revise` outcome becomes a new revision of the role (`applied_revision`). If the role "
            "changed since the review was submitted: 412, unless `onto_current`: then the proposal is merged three "
            "ways with the current list on duty identity (changes made since are kept); duties changed on both "
            "sides are a 409 `merge_conflict` that applies nothing and lists them in `fields`; send the same call "
            "again with `resolutions` (and `expected_version`). 409 `conflict` unless submitted."
        ),
        request=DecisionSerializer,
        responses={200: RoleReviewSerializer, **ErrorResponses.write(412), **merge_conflict_response()},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        review = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.role_review_approve(review=review, acting_user=request.user, **serializer.validated_data)
        return self._respond(review)

    @extend_schema(
        summary="Send a submitted review back",
        description="HR only, with a note; the reviewer is mailed and submits again. 409 unless submitted.",
        request=NoteSerializer,
        responses={200: RoleReviewSerializer, **_TRANSITION},
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        review = self.get_object()
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.role_review_send_back(
            review=review, note=serializer.validated_data["note"], acting_user=request.user
        )
        return self._respond(review)


# --- suggestions ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List suggestions",
        description=(
            "HR sees every suggestion; a lead also those on roles of the teams they lead; everyone their own "
            "(`mine=true`: only my own)."
        ),
        responses={200: SuggestionSerializer(many=True), **ErrorResponses.list()},
    ),
    retrieve=extend_schema(summary="Get a suggestion", responses={200: SuggestionSerializer, **ErrorResponses.read()}),
)
class SuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SuggestionSerializer
    permission_classes = [IsActiveAuthenticated]
    filterset_class = SuggestionFilter
    search_fields = ["proposed_text", "rationale", "role__title"]
    ordering_fields = ["id", "created_at", "decided_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.suggestion_list(user=self.request.user)

    def _respond(self, suggestion, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=suggestion.pk)).data, status=code)

    @extend_schema(
        summary="Suggest an improvement",
        description=(
            "Any active member of a team may suggest on any active role: `add` (with `proposed_text`, optional "
            "`proposed_position`), `change` (`duty`, `proposed_text`), `remove` (`duty`), `reorder` (`duty`, "
            "`proposed_position`) or `other` (described in the `rationale`). 409 on a role that is not active."
        ),
        request=SuggestionCreateSerializer,
        responses={201: SuggestionSerializer, **ErrorResponses.create(409)},
    )
    def create(self, request, *args, **kwargs):
        serializer = SuggestionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        role = roles_visible_to(request.user, Role.objects.all()).filter(pk=data.pop("role")).first()
        if role is None:
            raise ValidationError({"role": [_("No such role.")]})
        duty_id = data.pop("duty", None)
        duty = None
        if duty_id is not None:
            duty = Duty.objects.filter(pk=duty_id, role=role).first()
            if duty is None:
                raise ValidationError({"duty": [_("This role has no duty with this id.")]})
        suggestion = services.suggestion_create(role=role, duty=duty, acting_user=request.user, **data)
        return self._respond(suggestion, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept a suggestion",
        description=(
            "HR only. The change becomes a new revision of the role (`applied_revision`); `other` suggestions are "
            "accepted without one. If the role changed since the suggestion: 412, unless `onto_current`. Onto the "
            "current list, a `change` or `remove` of a duty that was changed since, or a `change` of a duty removed "
            "since, is a 409 `merge_conflict` (see approving a review); the rest merges (a `remove` or `reorder` of a "
            "duty removed since changes nothing). 409 `duty_gone` only without a record of the duty. 409 unless open."
        ),
        request=DecisionSerializer,
        responses={200: SuggestionSerializer, **ErrorResponses.write(412), **merge_conflict_response()},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        suggestion = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suggestion = services.suggestion_accept(
            suggestion=suggestion, acting_user=request.user, **serializer.validated_data
        )
        return self._respond(suggestion)

    @extend_schema(
        summary="Reject a suggestion",
        description="HR only, with a note for the author. 409 unless open.",
        request=NoteSerializer,
        responses={200: SuggestionSerializer, **_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        suggestion = self.get_object()
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suggestion = services.suggestion_reject(
            suggestion=suggestion, note=serializer.validated_data["note"], acting_user=request.user
        )
        return self._respond(suggestion)

    @extend_schema(
        summary="Withdraw my suggestion",
        description="Only the author, while open (else 409).",
        request=None,
        responses={200: SuggestionSerializer, **_TRANSITION},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        NoBodySerializer(data=request.data).is_valid(raise_exception=True)
        suggestion = services.suggestion_withdraw(suggestion=self.get_object(), acting_user=request.user)
        return self._respond(suggestion)
