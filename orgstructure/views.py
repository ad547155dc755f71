from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from roles.chart import CHART_NODE_BUDGET, chart_search, chart_tree
from teams.models import Team
from teams.permissions import is_hr_manager, led_team_ids
from teams.selectors import TeamTree


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The org chart: the top of the team tree as boxes and lines, deeper sub-trees on demand.

    ``?root=<slug>`` draws the chart from that team down (the no-JS way into a sub-tree);
    ``?focus=<slug>`` opens the path to a team (where a search hit lives); ``?q=`` searches
    teams, roles and people, and jumps straight there when there is exactly one hit.
    """
    if not request.user.is_authenticated:
        return render(request, "home.html", {"nodes": []})
    if request.GET.get("q") is not None:
        return _search(request)
    tree = TeamTree.load(include_archived=False)
    root = focus = None
    if slug := request.GET.get("root"):
        root = Team.objects.filter(slug=slug, archived=False).first()
        if root is None:
            raise Http404
    if slug := request.GET.get("focus"):
        focus = Team.objects.filter(slug=slug, archived=False).first()
    expand = tree.ancestors(focus.pk) if focus else []
    nodes = chart_tree(
        user=request.user,
        root_ids=[root.pk] if root else None,
        budget=CHART_NODE_BUDGET,
        expand=expand,
        tree=tree,
    )
    breadcrumbs = []
    if root is not None:
        path = tree.ancestors(root.pk)
        names = Team.objects.in_bulk(path)
        breadcrumbs = [names[pk] for pk in path if pk in names]
    context = {
        "nodes": nodes,
        "root": root,
        "focus": focus,
        "breadcrumbs": breadcrumbs,
        "team_count": len(tree),
        "can_analyse": is_hr_manager(request.user) or bool(led_team_ids(request.user)),
    }
    return render(request, "home.html", context)


def _search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    hits = chart_search(user=request.user, query=query)
    if len(hits) == 1:
        hit = hits[0]
        return redirect(f"{reverse('home')}?focus={hit.team.slug}#{hit.anchor}")
    return render(request, "home.html", {"search": True, "query": query, "hits": hits, "nodes": []})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
