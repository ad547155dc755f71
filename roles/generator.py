"""A synthetic organisation for benchmarks and demos (``manage.py generate_org``).

**Bench/demo tool only.** Everything here is written with ``bulk_create`` straight into the
tables, bypassing the per-row services (``role_duties_replace``, ``membership_add``, ...) that
every real change goes through: at the target size (2,000 teams, 20,000 roles, 200,000 duties,
20,000 people) the services would take an hour, the bulk path takes well under a minute. That is
acceptable only because the data is synthetic and the database is empty: the generator refuses
to run on an organisation that already has teams. It writes no simple-history rows and no
``ChangeEvent`` (an empty change feed is a valid state); it still keeps every invariant the
services keep:

- every role's ``version`` equals its number of ``RoleRevision`` rows (numbered 1..version), and
  the newest revision's snapshot is the role's current duty list;
- a duty's ``serves`` is a core duty of the role's own team (or none);
- duty texts are unique within a role, positions are 1..n;
- each team's lead is a member with ``is_lead`` and holds the ``teams.lead_team`` object
  permission through the direct-FK ``TeamUserObjectPermission`` model, as ``membership_add``
  grants it;
- a role holder is a member of the role's team;
- suggestions are made on the role's current version, by people, with a rationale.

The output depends only on the arguments (``seed`` included): the same arguments give the same
teams, roles, texts and people, in the same insertion order.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from reviews.models import Suggestion, SuggestionKind, SuggestionState
from roles.models import Duty, RevisionSource, Role, RoleRevision, RoleStatus
from teams.models import Membership, Team, TeamDuty, TeamKind, TeamUserObjectPermission
from teams.permissions import TeamPermissions

BATCH_SIZE = 5000
MAX_TEAM_DEPTH = 6  # levels below a top team

# --------------------------------------------------------------------------------------------
# Vocabulary: short duty texts in both languages, built from an action, an object and a goal.
# --------------------------------------------------------------------------------------------

_KINDS = [
    TeamKind.PRODUCT,
    TeamKind.OPERATIONS,
    TeamKind.MARKETING,
    TeamKind.CUSTOMER_SERVICE,
    TeamKind.TECHNOLOGY,
]

_AREAS = {
    "zh": {
        TeamKind.PRODUCT: ["商品详情", "购物车", "搜索推荐", "会员体系", "交易链路", "移动端", "商家后台", "数据产品"],
        TeamKind.OPERATIONS: [
            "类目运营",
            "活动运营",
            "用户运营",
            "内容运营",
            "供应链",
            "仓储物流",
            "商家运营",
            "质量管理",
        ],
        TeamKind.MARKETING: [
            "品牌推广",
            "渠道投放",
            "社交媒体",
            "直播营销",
            "市场调研",
            "公关传播",
            "联盟营销",
            "会员营销",
        ],
        TeamKind.CUSTOMER_SERVICE: [
            "售前咨询",
            "售后服务",
            "投诉处理",
            "客服质检",
            "智能客服",
            "知识库",
            "工单中心",
            "回访调研",
        ],
        TeamKind.TECHNOLOGY: [
            "前端开发",
            "后端服务",
            "基础架构",
            "数据平台",
            "测试保障",
            "运维监控",
            "信息安全",
            "算法研究",
        ],
    },
    "en": {
        TeamKind.PRODUCT: [
            "Product Pages",
            "Cart",
            "Search",
            "Loyalty",
            "Checkout",
            "Mobile",
            "Seller Tools",
            "Data Products",
        ],
        TeamKind.OPERATIONS: [
            "Category Ops",
            "Campaigns",
            "User Growth",
            "Content",
            "Supply Chain",
            "Fulfilment",
            "Seller Ops",
            "Quality",
        ],
        TeamKind.MARKETING: [
            "Brand",
            "Paid Channels",
            "Social Media",
            "Live Commerce",
            "Market Research",
            "PR",
            "Affiliates",
            "CRM",
        ],
        TeamKind.CUSTOMER_SERVICE: [
            "Presales",
            "Aftersales",
            "Complaints",
            "QA Desk",
            "Chatbots",
            "Knowledge Base",
            "Ticketing",
            "Follow-up",
        ],
        TeamKind.TECHNOLOGY: [
            "Frontend",
            "Backend",
            "Platform",
            "Data Platform",
            "Test",
            "SRE",
            "Security",
            "Algorithms",
        ],
    },
}
_SUFFIXES = {"zh": ["部", "中心", "组", "小组", "团队"], "en": ["", " Group", " Team", " Squad", " Unit"]}

_ROLE_TITLES = {
    "zh": [
        "产品经理",
        "运营专员",
        "市场专员",
        "客服专员",
        "开发工程师",
        "测试工程师",
        "数据分析师",
        "设计师",
        "项目经理",
        "运营经理",
        "架构师",
        "内容编辑",
        "渠道经理",
        "质检专员",
        "算法工程师",
        "运维工程师",
    ],
    "en": [
        "Product Manager",
        "Operations Specialist",
        "Marketing Specialist",
        "Support Agent",
        "Software Engineer",
        "QA Engineer",
        "Data Analyst",
        "Designer",
        "Project Manager",
        "Operations Manager",
        "Architect",
        "Editor",
        "Channel Manager",
        "Quality Inspector",
        "ML Engineer",
        "Site Reliability Engineer",
    ],
}
_LEVELS = {"zh": ["", "高级", "资深", "初级"], "en": ["", "Senior ", "Staff ", "Junior "]}

# Duty texts. A real duty is a short list of activities ("verb + what it acts on"), and what
# it acts on is specific to the team: its products, systems, partners, processes. Built from a
# few thousand phrases, every team would do everything (issue 13: over a million pairs alike).
# So each team gets its own vocabulary of names drawn from a large pool (pseudo-words standing in
# for a team's own product and system names, millions in each language), plus a few words every
# team uses (用户, 数据; "customer", "data"); an activity is a common verb with two of the
# team's names and now and then a common word. Overlaps are then planted at the rates assumed for
# a real organisation (see README "Performance"): a duty of another team's activity
# (CROSS_TEAM_SHARE), a role duty restating the core duty it serves (RESTATE_SHARE).
CROSS_TEAM_SHARE = 0.03
RESTATE_SHARE = 0.1
TEAM_WORDS = 300

_ACTIONS = {
    "zh": [
        "负责",
        "参与",
        "主导",
        "协调",
        "跟进",
        "优化",
        "制定",
        "执行",
        "监控",
        "分析",
        "推动",
        "维护",
        "设计",
        "评审",
        "规划",
        "搭建",
        "运营",
        "测试",
        "上线",
        "整理",
        "审核",
        "培训",
        "对接",
        "复盘",
        *["梳理", "排查", "采购", "招募", "核算", "预测", "盘点", "签约", "巡检", "发布", "迁移", "改版"],
    ],
    "en": [
        "Own",
        "Run",
        "Lead",
        "Coordinate",
        "Follow up",
        "Improve",
        "Define",
        "Plan",
        "Monitor",
        "Analyse",
        "Drive",
        "Maintain",
        "Design",
        "Review",
        "Build",
        "Test",
        "Launch",
        "Document",
        "Audit",
        "Train",
        "Support",
        "Negotiate",
        "Forecast",
        "Report on",
        *[
            "Migrate",
            "Price",
            "Schedule",
            "Procure",
            "Recruit",
            "Reconcile",
            "Inspect",
            "Publish",
            "Redesign",
            "Budget",
            "Localise",
            "Certify",
        ],
    ],
}
_COMMON_WORDS = {
    "zh": ["用户", "数据", "流程", "质量", "成本", "效率", "体验", "风险", "需求", "目标", "报表", "预算"],
    "en": ["customer", "data", "process", "quality", "cost", "service", "risk", "budget", "report", "targets"],
}
# The first 3,000 CJK Unified Ideographs: names made of them rarely share a character pair by
# chance (a few common characters would make every name's bigrams common, which no real set of
# product and system names does).
_ZH_CHARS = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000))
_EN_SYLLABLES = [
    c + v
    for c in ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr", "st", "pl"]
    for v in ["a", "e", "i", "o", "u", "ai", "io", "or", "an", "el"]
]


def _team_words(rng: random.Random, lang: str) -> list[str]:
    """A team's own names (products, systems, partners): pseudo-words from a large pool."""
    words: set[str] = set()
    while len(words) < TEAM_WORDS:
        if lang == "zh":
            words.add("".join(rng.sample(_ZH_CHARS, 3)))
        else:
            words.add("".join(rng.choice(_EN_SYLLABLES) for _ in range(3)))
    return sorted(words)


def _activity(rng: random.Random, lang: str, words: Sequence[str]) -> str:
    action = rng.choice(_ACTIONS[lang])
    names = rng.sample(words, 2)
    common = rng.choice(_COMMON_WORDS[lang]) if rng.random() < 0.2 else ""
    if lang == "zh":
        return f"{action}{''.join(names)}{common}"
    return " ".join(part for part in (action, "the", *names, common) if part)


def _duty_text(rng: random.Random, lang: str, words: Sequence[str], borrowed: str = "") -> str:
    """Two or three activities; ``borrowed`` (another duty's activity) replaces the first."""
    activities = [_activity(rng, lang, words) for _ in range(rng.choice((2, 3, 3)))]
    if borrowed:
        activities[0] = borrowed
    if lang == "zh":
        return "，".join(activities) + "。"
    return ", ".join(activities[:1] + [a[0].lower() + a[1:] for a in activities[1:]]) + "."


def _activities_of(text: str, lang: str) -> list[str]:
    parts = text.rstrip("。.").split("，" if lang == "zh" else ", ")
    return [p[0].upper() + p[1:] if lang == "en" else p for p in parts if p]


_FAMILY_NAMES = {
    "zh": list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"),
    "en": [
        "Smith",
        "Jones",
        "Brown",
        "Taylor",
        "Wilson",
        "Davies",
        "Evans",
        "Thomas",
        "Roberts",
        "Walker",
        "Wright",
        "Green",
        "Hall",
        "Wood",
    ],
}
_GIVEN_NAMES = {
    "zh": ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "婷"],
    "en": [
        "Alex",
        "Sam",
        "Chris",
        "Jordan",
        "Taylor",
        "Morgan",
        "Jamie",
        "Robin",
        "Casey",
        "Drew",
        "Lee",
        "Kim",
        "Pat",
        "Jo",
        "Max",
    ],
}

_RATIONALES = {
    "zh": [
        "这条职责与实际工作不符",
        "表述太笼统，难以衡量",
        "与其他岗位重复",
        "缺少对数据安全的要求",
        "建议合并为一条",
    ],
    "en": [
        "This no longer matches the work",
        "Too vague to measure",
        "Overlaps another role",
        "Data protection is missing",
        "These two could be one duty",
    ],
}


@dataclass(frozen=True)
class GenerateOptions:
    teams: int = 2000
    roles: int = 20000
    duties_per_role: int = 10
    people: int = 20000
    seed: int = 1
    core_duties_per_team: int = 4
    suggestions: int | None = None  # default: one per 20 roles
    max_revisions: int = 3


@dataclass
class GenerateReport:
    teams: int = 0
    core_duties: int = 0
    roles: int = 0
    duties: int = 0
    revisions: int = 0
    people: int = 0
    memberships: int = 0
    leads: int = 0
    suggestions: int = 0
    depth: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def _bulk(model, objects: Sequence[Any], step: str, progress: Progress) -> None:
    total = len(objects)
    for start in range(0, total, BATCH_SIZE):
        model.objects.bulk_create(objects[start : start + BATCH_SIZE], batch_size=BATCH_SIZE)
        progress(step, min(start + BATCH_SIZE, total), total)
    if not total:
        progress(step, 0, 0)


def _duty_texts(
    rng: random.Random, lang: str, words: Sequence[str], count: int, borrow: Callable[[], str] | None = None
) -> list[str]:
    """``count`` different texts (the services refuse a repeated duty in one list); each borrows
    an activity with probability ``CROSS_TEAM_SHARE`` when ``borrow`` is given."""
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < count:
        borrowed = borrow() if borrow is not None and rng.random() < CROSS_TEAM_SHARE else ""
        text = _duty_text(rng, lang, words, borrowed)
        if text.casefold() not in seen:
            seen.add(text.casefold())
            texts.append(text)
    return texts


def _snapshot(duties: Sequence[Duty], core_texts: dict[int, str]) -> list[dict[str, Any]]:
    # Same shape as roles.services.duty_snapshot.
    return [
        {
            "id": d.pk,
            "position": d.position,
            "text": d.text,
            "serves": d.serves_id,
            "serves_text": core_texts.get(d.serves_id) if d.serves_id else None,
        }
        for d in duties
    ]


@transaction.atomic
def org_generate(options: GenerateOptions, *, progress: Progress = _no_progress) -> GenerateReport:
    """Fill an empty database with a synthetic organisation (see the module docstring)."""
    if options.teams < 1 or options.roles < 0 or options.people < 0 or options.duties_per_role < 0:
        raise ValueError("teams must be at least 1; roles, people and duties per role cannot be negative")
    if options.duties_per_role > 50:
        raise ValueError("a role can have at most 50 duties")
    if Team.objects.exists():
        raise ValueError("the database already has teams: the generator only fills an empty organisation")

    rng = random.Random(options.seed)  # noqa: S311 - reproducible synthetic data, not secrets
    report = GenerateReport()
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[step] = round(now - clock, 2)
        clock = now

    # Teams: a few top teams (one per kind), then each new team under an earlier one, so that
    # the tree is 4-7 levels deep and wide near the top, as real organisations are.
    top = min(len(_KINDS), options.teams)
    teams: list[Team] = []
    depth: list[int] = []
    lang_of: list[str] = []
    area_of: list[str] = []
    kind_of: list[str] = []
    child_count: dict[int, int] = {}
    for i in range(options.teams):
        if i < top:
            parent_index, level, kind = None, 0, _KINDS[i]
        else:
            low, high = (i - top) // 6, (i - top) // 3
            parent_index = rng.randint(low, min(high, i - 1))
            while depth[parent_index] >= MAX_TEAM_DEPTH:
                parent_index = rng.randrange(i)
            level, kind = depth[parent_index] + 1, kind_of[parent_index]
        lang = "zh" if rng.random() < 0.5 else "en"
        area = rng.choice(_AREAS[lang][kind])
        suffix = rng.choice(_SUFFIXES[lang])
        name = f"{area}{suffix} {i + 1}"
        position = child_count.get(parent_index if parent_index is not None else -1, 0)
        child_count[parent_index if parent_index is not None else -1] = position + 1
        teams.append(
            Team(
                name=name,
                slug=f"team-{i + 1}",
                kind=kind,
                description=f"{area} ({kind})",
                position=position,
                parent=teams[parent_index] if parent_index is not None else None,
            )
        )
        depth.append(level)
        lang_of.append(lang)
        area_of.append(area)
        kind_of.append(kind)
    report.depth = max(depth) if depth else 0
    # Parents first: each batch of the tree only points at teams already inserted (ids set).
    order = sorted(range(len(teams)), key=lambda i: depth[i])
    by_level: dict[int, list[Team]] = {}
    for i in order:
        by_level.setdefault(depth[i], []).append(teams[i])
    done = 0
    for level in sorted(by_level):
        for team in by_level[level]:
            team.parent_id = team.parent.pk if team.parent is not None else None
        Team.objects.bulk_create(by_level[level], batch_size=BATCH_SIZE)
        done += len(by_level[level])
        progress("teams", done, len(teams))
    report.teams = len(teams)

    core_duties: list[TeamDuty] = []
    core_by_team: list[list[TeamDuty]] = []
    words_of = [_team_words(rng, lang_of[i]) for i in range(len(teams))]
    for i, team in enumerate(teams):
        texts = _duty_texts(rng, lang_of[i], words_of[i], options.core_duties_per_team)
        own = [TeamDuty(team=team, position=p, text=t) for p, t in enumerate(texts, start=1)]
        core_by_team.append(own)
        core_duties.extend(own)
    _bulk(TeamDuty, core_duties, "core duties", progress)
    report.core_duties = len(core_duties)
    lap("teams")

    # Roles: at least one per team while they last, the rest spread at random.
    team_of_role = list(range(min(options.teams, options.roles)))
    team_of_role += [rng.randrange(options.teams) for _ in range(options.roles - len(team_of_role))]
    team_of_role.sort()
    roles: list[Role] = []
    role_lang: list[str] = []
    per_team: dict[int, int] = {}
    for team_index in team_of_role:
        lang = lang_of[team_index]
        n = per_team[team_index] = per_team.get(team_index, 0) + 1
        title = f"{rng.choice(_LEVELS[lang])}{rng.choice(_ROLE_TITLES[lang])}"
        roll = rng.random()
        status = RoleStatus.ACTIVE if roll < 0.9 else RoleStatus.DRAFT if roll < 0.95 else RoleStatus.RETIRED
        roles.append(
            Role(
                team=teams[team_index],
                title=title,
                slug=f"role-{n}",
                purpose="",
                headcount=rng.randint(1, 3),
                status=status,
                version=rng.randint(1, options.max_revisions) if options.duties_per_role else 0,
            )
        )
        role_lang.append(lang)
    _bulk(Role, roles, "roles", progress)
    report.roles = len(roles)

    duties: list[Duty] = []
    duties_of_role: list[list[Duty]] = []
    written: dict[str, list[tuple[int, str]]] = {"zh": [], "en": []}  # (team index, text) so far
    for role, team_index, lang in zip(roles, team_of_role, role_lang, strict=True):
        core = core_by_team[team_index]
        pool = written[lang]

        def borrow(pool=pool, team_index=team_index, lang=lang) -> str:
            for _ in range(5):
                other_team, text = pool[rng.randrange(len(pool))] if pool else (team_index, "")
                if other_team != team_index:
                    return rng.choice(_activities_of(text, lang))
            return ""

        own = []
        texts = _duty_texts(rng, lang, words_of[team_index], options.duties_per_role, borrow)
        for position, text in enumerate(texts, start=1):
            serves = rng.choice(core) if core and rng.random() < 0.7 else None
            if serves is not None and rng.random() < RESTATE_SHARE:  # restates the core duty it serves
                restated = _duty_text(rng, lang, words_of[team_index], rng.choice(_activities_of(serves.text, lang)))
                if restated.casefold() not in {t.casefold() for t in texts}:
                    text = restated
            own.append(Duty(role=role, position=position, text=text, serves=serves))
            pool.append((team_index, text))
        duties_of_role.append(own)
        duties.extend(own)
    _bulk(Duty, duties, "duties", progress)
    report.duties = len(duties)
    lap("roles and duties")

    # Revisions 1..version: the newest is the current list, each older one had a duty less
    # (or, for a list of one, a different wording).
    core_texts = {d.pk: d.text for d in core_duties}
    revisions: list[RoleRevision] = []
    for role, own in zip(roles, duties_of_role, strict=True):
        for number in range(1, role.version + 1):
            missing = role.version - number
            listed = own[: max(1, len(own) - missing)]
            snapshot = _snapshot(listed, core_texts)
            if missing and len(own) <= 1:
                snapshot = [{**item, "text": f"{item['text']} (v{number})"} for item in snapshot]
            revisions.append(
                RoleRevision(
                    role=role,
                    number=number,
                    duties=snapshot,
                    author=None,
                    reason="Generated" if number == 1 else f"Generated change {number}",
                    source=RevisionSource.TEMPLATE if number == 1 else RevisionSource.ADMIN,
                )
            )
    _bulk(RoleRevision, revisions, "revisions", progress)
    report.revisions = len(revisions)
    lap("revisions")

    # People: each belongs to one team; the first member of a team leads it; the others hold
    # one of the team's roles now and then.
    user_model = get_user_model()
    people: list[Any] = []
    home: list[int] = []
    for n in range(options.people):
        lang = "zh" if rng.random() < 0.5 else "en"
        family, given = rng.choice(_FAMILY_NAMES[lang]), rng.choice(_GIVEN_NAMES[lang])
        people.append(
            user_model(
                username=f"person{n + 1:05d}",
                first_name=given,
                last_name=family,
                email=f"person{n + 1:05d}@example.com",
                password="!generated-no-login",  # an unusable password: nobody signs in as them
                is_active=True,
            )
        )
        home.append(n % options.teams if n < options.teams else rng.randrange(options.teams))
    _bulk(user_model, people, "people", progress)
    report.people = len(people)

    roles_of_team: dict[int, list[Role]] = {}
    for role, team_index in zip(roles, team_of_role, strict=True):
        if role.status != RoleStatus.RETIRED:
            roles_of_team.setdefault(team_index, []).append(role)
    memberships: list[Membership] = []
    lead_of: list[tuple[Any, Team]] = []
    has_lead: set[int] = set()
    for person, team_index in zip(people, home, strict=True):
        is_lead = team_index not in has_lead
        has_lead.add(team_index)
        candidates = roles_of_team.get(team_index, [])
        role = rng.choice(candidates) if candidates and rng.random() < 0.8 else None
        memberships.append(Membership(user=person, team=teams[team_index], role=role, is_lead=is_lead))
        if is_lead:
            lead_of.append((person, teams[team_index]))
    _bulk(Membership, memberships, "memberships", progress)
    report.memberships, report.leads = len(memberships), len(lead_of)

    lead_permission = Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Team), codename=TeamPermissions.LEAD_CODENAME
    )
    grants = [TeamUserObjectPermission(user=u, permission=lead_permission, content_object=t) for u, t in lead_of]
    _bulk(TeamUserObjectPermission, grants, "lead permissions", progress)
    lap("people")

    # Suggestions on active roles, about one of their duties, against their current version.
    active = [i for i, role in enumerate(roles) if role.status == RoleStatus.ACTIVE and duties_of_role[i]]
    wanted = options.suggestions if options.suggestions is not None else options.roles // 20
    suggestions: list[Suggestion] = []
    if active and people:
        for _ in range(wanted):
            i = rng.choice(active)
            role, lang = roles[i], role_lang[i]
            duty = rng.choice(duties_of_role[i])
            kind = rng.choice([SuggestionKind.CHANGE, SuggestionKind.REMOVE, SuggestionKind.ADD])
            state = rng.choice([SuggestionState.OPEN, SuggestionState.OPEN, SuggestionState.REJECTED])
            suggestions.append(
                Suggestion(
                    role=role,
                    duty=None if kind == SuggestionKind.ADD else duty,
                    duty_text="" if kind == SuggestionKind.ADD else duty.text,
                    kind=kind,
                    proposed_text=_duty_text(rng, lang, words_of[team_of_role[i]])
                    if kind != SuggestionKind.REMOVE
                    else "",
                    rationale=rng.choice(_RATIONALES[lang]),
                    author=rng.choice(people),
                    base_version=role.version,
                    state=state,
                    decision_note="Generated" if state == SuggestionState.REJECTED else "",
                )
            )
    _bulk(Suggestion, suggestions, "suggestions", progress)
    report.suggestions = len(suggestions)
    lap("suggestions")
    return report


def text_progress(stream=None) -> Progress:
    """A one-line progress bar on a terminal (``\\r``), one line per step elsewhere."""
    stream = stream or sys.stderr
    interactive = hasattr(stream, "isatty") and stream.isatty()

    def show(step: str, done: int, total: int) -> None:
        if interactive:
            width = 30
            filled = width if not total else int(width * done / total)
            stream.write(f"\r{step:<17} [{'#' * filled}{'.' * (width - filled)}] {done:>7}/{total:<7}")
            if done >= total:
                stream.write("\n")
            stream.flush()
        elif done >= total:
            stream.write(f"{step}: {total}\n")
            stream.flush()

    return show
