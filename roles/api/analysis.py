"""``/api/v1/analysis/``: duty coverage and overlap (the selectors of ``roles.analysis``).

HR managers analyse the whole organisation, team leads the teams they lead; anyone else gets a
403. ``?team=<slug>`` narrows to a subtree: an unknown or archived team is a 404, a team
outside a lead's teams a 403. Both lists are paginated (``page``, ``page_size``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from orgstructure.api.pagination import CappedPageNumberPagination
from orgstructure.api.permissions import IsActiveAuthenticated
from orgstructure.api.schema import ErrorResponses
from roles.analysis import analysis_team_scope, coverage_report, coverage_summary, coverage_team_ids
from roles.models import OverlapItem, OverlapPair, OverlapRelation
from roles.overlap import (
    DEFAULT_OVERLAP_THRESHOLD,
    DEFAULT_RELATIONS,
    MIN_OVERLAP_THRESHOLD,
    Decided,
    overlap_decision_clear,
    overlap_decision_mark,
    overlap_pairs,
    overlap_views,
)
from teams.models import Team

RELATIONS = list(OverlapRelation.values)

# ----------------------------------------------------------------------------------------------
# Serializers (output only; documents are built from the selectors' dataclasses)
# ----------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="AnalysisTeamRef")
class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="AnalysisRoleRef")
class RoleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="`active` or `draft` (retired roles are not analysed).")


class ServingDutySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    role = RoleRefSerializer()


class CoreDutyCoverageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    text = serializers.CharField()
    gap = serializers.BooleanField(help_text="True when no role duty serves this core duty.")
    served_by = ServingDutySerializer(many=True)


class TeamCoverageSerializer(serializers.Serializer):
    team = TeamRefSerializer()
    has_roles = serializers.BooleanField()
    core_duties = CoreDutyCoverageSerializer(many=True)
    unmapped = ServingDutySerializer(many=True, help_text="Role duties that serve no core duty.")
    roles_without_duties = RoleRefSerializer(many=True)


class CoverageSummarySerializer(serializers.Serializer):
    teams = serializers.IntegerField()
    core_duties = serializers.IntegerField()
    gaps = serializers.IntegerField(help_text="Core duties no role duty serves.")
    unmapped_duties = serializers.IntegerField()
    roles_without_duties = serializers.IntegerField()
    teams_without_roles = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer):
    summary = CoverageSummarySerializer(help_text="Totals over every team in scope, not just this page.")
    count = serializers.IntegerField(help_text="Number of teams listed (over all pages).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TeamCoverageSerializer(many=True)


class OverlapSideSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["role_duty", "core_duty"])
    id = serializers.IntegerField(help_text="Id of the role duty or the team core duty.")
    text = serializers.CharField()
    team = TeamRefSerializer()
    role = RoleRefSerializer(allow_null=True, help_text="The role of a role duty; null for a core duty.")
    serves = serializers.IntegerField(allow_null=True, help_text="The core duty a role duty serves.")
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="`[start, end)` character spans of `text` that are shared activities.",
    )


class SharedActivitySerializer(serializers.Serializer):
    a = serializers.CharField(help_text="The activity (clause) in side a's text.")
    b = serializers.CharField(help_text="The activity in side b's text that is (nearly) the same.")
    score = serializers.FloatField(help_text="Similarity of the two activities, 0…1.")


class OverlapDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)
    decided_by = serializers.CharField(allow_null=True, help_text="Username of the HR manager.")
    decided_at = serializers.DateTimeField()


class OverlapPairSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        help_text="Id of the pair while both texts stay as they are (for marking it intended)."
    )
    score = serializers.FloatField(
        help_text="Similarity 0…1: the whole texts' and their most similar activities' similarity combined."
    )
    relation = serializers.ChoiceField(
        choices=RELATIONS,
        help_text="`serves`: a role duty and the very core duty it serves (expected to be close); "
        "`same_role`: two duties of one role; `same_team`: two duties in one team; `cross_team`: duties of "
        "different teams.",
    )
    a = OverlapSideSerializer(help_text="A role duty whenever one side is a role duty.")
    b = OverlapSideSerializer()
    shared = SharedActivitySerializer(many=True, help_text="The activities both duties share, best first.")
    intended = OverlapDecisionSerializer(
        allow_null=True, help_text="HR marked this overlap as intended (null: undecided)."
    )


class OverlapStatsSerializer(serializers.Serializer):
    duties = serializers.IntegerField(help_text="Role duties and core duties in the overlap index.")
    complete = serializers.BooleanField(
        help_text="Always true: the index holds every pair at or above the lowest threshold and is updated "
        "with every change."
    )


class OverlapsSerializer(serializers.Serializer):
    threshold = serializers.FloatField()
    stats = OverlapStatsSerializer()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = OverlapPairSerializer(many=True)


class OverlapIntendedSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CoverageQuerySerializer(serializers.Serializer):
    team = serializers.SlugField(required=False, max_length=100)
    problems = serializers.BooleanField(required=False, default=False)


class OverlapQuerySerializer(serializers.Serializer):
    threshold = serializers.FloatField(
        required=False, default=DEFAULT_OVERLAP_THRESHOLD, min_value=MIN_OVERLAP_THRESHOLD, max_value=1.0
    )
    relation = serializers.MultipleChoiceField(choices=RELATIONS, required=False)
    team = serializers.SlugField(required=False, max_length=100)
    decided = serializers.ChoiceField(choices=Decided.CHOICES, required=False, default=Decided.UNDECIDED)


# ----------------------------------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------------------------------


def _team(team) -> dict:
    return {"id": team.pk, "slug": team.slug, "name": team.name}


def _role(role) -> dict | None:
    if role is None:
        return None
    return {"id": role.pk, "slug": role.slug, "title": role.title, "status": role.status}


def _duty(duty) -> dict:
    return {"id": duty.pk, "position": duty.position, "text": duty.text, "role": _role(duty.role)}


def team_coverage_document(entry) -> dict:
    return {
        "team": _team(entry.team),
        "has_roles": entry.has_roles,
        "core_duties": [
            {
                "id": c.duty.pk,
                "position": c.duty.position,
                "text": c.duty.text,
                "gap": c.is_gap,
                "served_by": [_duty(d) for d in c.serving],
            }
            for c in entry.core
        ],
        "unmapped": [_duty(d) for d in entry.unmapped],
        "roles_without_duties": [_role(r) for r in entry.roles_without_duties],
    }


def overlap_pair_document(view) -> dict:
    pair = view.pair

    def side(item: OverlapItem, team, role, offset: int) -> dict:
        return {
            "kind": "role_duty" if item.duty_id else "core_duty",
            "id": item.duty_id or item.core_id,
            "text": item.text,
            "team": _team(team),
            "role": _role(role) if item.duty_id else None,
            "serves": item.serves_id,
            "highlights": sorted({(s[offset], s[offset + 1]) for s in pair.shared}),
        }

    decision = view.decision
    return {
        "id": pair.pk,
        "score": pair.score,
        "relation": pair.relation,
        "a": side(pair.item_a, pair.team_a, pair.role_a, 0),
        "b": side(pair.item_b, pair.team_b, pair.role_b, 2),
        "shared": [{"a": s["a"], "b": s["b"], "score": s["score"]} for s in view.shared_activities()],
        "intended": None
        if decision is None
        else {
            "note": decision.note,
            "decided_by": decision.decided_by.get_username() if decision.decided_by else None,
            "decided_at": decision.updated_at,
        },
    }


def _scope(request, slug: str | None) -> set[int] | None:
    root = None
    if slug:
        root = Team.objects.filter(slug=slug, archived=False).first()
        if root is None:
            raise NotFound(_("No team with this slug."))
    return analysis_team_scope(request.user, root=root)


def _paginated(request, view, items, build, **head) -> Response:
    paginator = CappedPageNumberPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    results = build(page)
    return Response(
        {
            **head,
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": results,
        }
    )


TEAM_PARAM = OpenApiParameter("team", str, description="A team's slug: analyse that team and the teams below it.")
ERRORS = ErrorResponses.list(403, 404)


class CoverageView(APIView):
    permission_classes = [IsActiveAuthenticated]

    @extend_schema(
        operation_id="analysis_coverage",
        summary="Coverage of core duties by role duties",
        description="For each team in tree order: every core duty with the role duties that serve it (`gap` when "
        "none does), role duties that serve nothing, roles without duties. `summary` totals the whole scope. "
        "HR managers see every team, team leads the teams they lead; others get 403.",
        parameters=[
            TEAM_PARAM,
            OpenApiParameter(
                "problems",
                bool,
                description="Only teams with a gap, an unmapped duty, a role without duties, or no role.",
            ),
        ],
        responses={200: CoverageSerializer, **ERRORS},
        tags=["analysis"],
    )
    def get(self, request):
        query = CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = _scope(request, query.validated_data.get("team"))
        team_ids = coverage_team_ids(user=request.user, scope=scope, problems_only=query.validated_data["problems"])
        summary = coverage_summary(user=request.user, scope=scope)

        def build(page):
            return [team_coverage_document(e) for e in coverage_report(user=request.user, team_ids=page)]

        return _paginated(request, self, team_ids, build, summary=CoverageSummarySerializer(summary).data)


class OverlapsView(APIView):
    permission_classes = [IsActiveAuthenticated]

    @extend_schema(
        operation_id="analysis_overlaps",
        summary="Duties that do the same thing",
        description="Pairs of duties (role duties and team core duties) that share an activity or say nearly the "
        "same thing, at or above `threshold`, best first, with the shared activities highlighted. Read from an "
        "index that every change keeps current, so the list is always complete. By default: pairs of different "
        "roles and teams (`same_team`, `cross_team`) that nobody marked as intended; `relation=serves` lists "
        "role duties restating the core duty they serve, `decided=yes` the intended ones. HR managers see every "
        "pair; team leads pairs with at least one side in their teams; others get 403.",
        parameters=[
            OpenApiParameter(
                "threshold",
                float,
                description=f"Minimum similarity, {MIN_OVERLAP_THRESHOLD}–1 (default {DEFAULT_OVERLAP_THRESHOLD}).",
            ),
            OpenApiParameter(
                "relation",
                str,
                many=True,
                enum=RELATIONS,
                description="Only pairs of these relations (repeat the parameter for several); default "
                "`same_team` and `cross_team`.",
            ),
            OpenApiParameter(
                "decided",
                str,
                enum=list(Decided.CHOICES),
                description="`no` (default): pairs not marked intended; `yes`: only those marked intended; `all`.",
            ),
            TEAM_PARAM,
        ],
        responses={200: OverlapsSerializer, **ERRORS},
        tags=["analysis"],
    )
    def get(self, request):
        query = OverlapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        scope = _scope(request, data.get("team"))
        if scope is not None and not scope:
            raise PermissionDenied(_("You can analyse only the teams you lead."))
        pairs = overlap_pairs(
            user=request.user,
            threshold=data["threshold"],
            scope=scope,
            relations=data.get("relation") or DEFAULT_RELATIONS,
            decided=data["decided"],
        )

        def build(page):
            return [overlap_pair_document(v) for v in overlap_views(list(page))]

        return _paginated(
            request,
            self,
            pairs,
            build,
            threshold=round(data["threshold"], 2),
            stats={"duties": OverlapItem.objects.count(), "complete": True},
        )


class OverlapIntendedView(APIView):
    permission_classes = [IsActiveAuthenticated]

    def _pair(self, request, pk: int) -> OverlapPair:
        scope = analysis_team_scope(request.user)
        pairs = overlap_pairs(user=request.user, threshold=0, scope=scope, relations=None, decided=Decided.ALL)
        pair = pairs.filter(pk=pk).first()
        if pair is None:
            raise NotFound(_("No such pair (its texts may have changed since)."))
        return pair

    @extend_schema(
        operation_id="analysis_overlap_intended",
        summary="Mark an overlap as intended",
        description="HR managers mark a pair as a deliberately shared responsibility, with a note. The pair leaves "
        "the default list until either text changes (then its id changes too).",
        request=OverlapIntendedSerializer,
        responses={200: OverlapPairSerializer, **ErrorResponses.write()},
        tags=["analysis"],
    )
    def post(self, request, pk: int):
        body = OverlapIntendedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pair = self._pair(request, pk)
        overlap_decision_mark(pair=pair, note=body.validated_data["note"], acting_user=request.user)
        return Response(overlap_pair_document(overlap_views([pair])[0]))

    @extend_schema(
        operation_id="analysis_overlap_intended_clear",
        summary="Take back an intended mark",
        request=None,
        responses={204: None, **ErrorResponses.delete()},
        tags=["analysis"],
    )
    def delete(self, request, pk: int):
        pair = self._pair(request, pk)
        overlap_decision_clear(pair=pair, acting_user=request.user)
        return Response(status=204)
