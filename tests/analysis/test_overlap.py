import random

import pytest

from roles.analysis import (
    CORE_DUTY,
    DEFAULT_OVERLAP_THRESHOLD,
    Relation,
    overlap_pairs,
    overlap_pairs_resolve,
    similar_pairs,
)
from roles.models import Duty, RoleStatus
from roles.org_template import org_template_load
from roles.services import role_create
from roles.textsim import dice, features
from teams.models import Team, TeamDuty
from tests.factories import RoleFactory, TeamFactory, role_with_duties

pytestmark = pytest.mark.django_db


def side(pair, which):
    item = getattr(pair, which)
    if item.kind == CORE_DUTY:
        duty = TeamDuty.objects.select_related("team").get(pk=item.id)
        return ("core", duty.team.slug, duty.position)
    duty = Duty.objects.select_related("role").get(pk=item.id)
    return (duty.role.slug, duty.position)


def found_pairs(user, threshold=DEFAULT_OVERLAP_THRESHOLD):
    pairs, _stats = overlap_pairs(user=user, threshold=threshold)
    return {(side(p, "a"), side(p, "b")): p for p in pairs}


# Above the default threshold the seed has exactly these pairs: each is a role duty and the
# core duty of its own team that it serves, restating it. Nothing unrelated.
EXPECTED = {
    "zh-hans": {
        (("customer-service-specialist", 2), ("core", "customer-service", 2)),  # 收集用户反馈,分析用户需求,…
        (("marketing-specialist", 2), ("core", "marketing", 2)),  # …竞争对手…,调整市场策略
        (("customer-service-specialist", 3), ("core", "customer-service", 3)),
        (("software-development-engineer", 3), ("core", "technology", 3)),
        (("operations-specialist", 1), ("core", "operations", 1)),
        (("operations-specialist", 2), ("core", "operations", 2)),
    },
    "en": {
        (("customer-service-specialist", 2), ("core", "customer-service", 2)),
        (("marketing-specialist", 2), ("core", "marketing", 2)),
        (("customer-service-specialist", 1), ("core", "customer-service", 1)),
        (("customer-service-specialist", 3), ("core", "customer-service", 3)),
        (("software-development-engineer", 3), ("core", "technology", 3)),
        (("operations-specialist", 2), ("core", "operations", 2)),
    },
}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_seed_overlaps_are_the_restated_core_duties_and_nothing_unrelated(lang, hr):
    # given
    org_template_load(key="ecommerce", lang=lang)
    # when
    found = found_pairs(hr)
    # then
    assert set(found) == EXPECTED[lang]
    assert all(p.relation == Relation.SERVES for p in found.values())
    cs = found[(("customer-service-specialist", 2), ("core", "customer-service", 2))]
    mk = found[(("marketing-specialist", 2), ("core", "marketing", 2))]
    assert DEFAULT_OVERLAP_THRESHOLD <= cs.score < 1 and DEFAULT_OVERLAP_THRESHOLD <= mk.score < 1
    if lang == "zh-hans":
        overlap_pairs_resolve([cs, mk])
        assert cs.a_text == "收集用户反馈,分析用户需求,提出改进建议。"
        assert cs.b_text == "收集用户反馈,分析用户需求,提升服务质量。"
        assert mk.a_text == "进行市场调研,分析竞争对手,调整市场策略。"
        assert mk.b_text == "进行市场分析,了解竞争对手动态,调整市场策略。"
        assert cs.a_role.slug == "customer-service-specialist" and cs.b_team.slug == "customer-service"


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_lower_threshold_brings_in_cross_team_pairs_but_not_unrelated_ones(lang, hr):
    org_template_load(key="ecommerce", lang=lang)

    found = found_pairs(hr, threshold=0.4)

    assert EXPECTED[lang] <= set(found)
    # Product's "market research, analyse user feedback" vs Marketing's "market research" shows up…
    assert any(p.relation == Relation.CROSS_TEAM for p in found.values())
    # …but e.g. technology and promotions never meet.
    unrelated = {("core", "technology", 1), ("core", "operations", 3)}
    assert not any({a, b} == unrelated for a, b in found)


def test_the_same_duty_in_two_teams_is_a_cross_team_overlap(hr):
    a = role_with_duties("Answer customer emails within a day", "Keep the FAQ up to date", team=TeamFactory())
    b = role_with_duties("Answers customer e-mails within one day", "Run the release train", team=TeamFactory())

    pairs, _ = overlap_pairs(user=hr)

    assert len(pairs) == 1
    (pair,) = pairs
    assert pair.relation == Relation.CROSS_TEAM
    assert {pair.a.role_id, pair.b.role_id} == {a.pk, b.pk}


def test_duplicates_inside_one_role_are_left_to_the_quality_checks(hr):
    role_with_duties("Answer customer emails within a day", "Answer customer emails within one day")

    assert overlap_pairs(user=hr)[0] == []


def test_draft_roles_overlaps_are_hidden_from_people_who_may_not_see_them(hr, member):
    team = TeamFactory()
    role_with_duties("Answer customer emails within a day", team=team)
    role_with_duties("Answer customer emails within one day", team=TeamFactory(), status=RoleStatus.DRAFT)

    assert len(overlap_pairs(user=hr)[0]) == 1
    assert overlap_pairs(user=member)[0] == []


def test_retired_roles_and_archived_teams_are_left_out(hr):
    role_with_duties("Answer customer emails within a day")
    retired = role_with_duties("Answer customer emails within one day")
    assert len(overlap_pairs(user=hr)[0]) == 1

    retired.status = RoleStatus.RETIRED
    retired.save()
    assert overlap_pairs(user=hr)[0] == []


def test_the_cached_result_follows_changes(hr):
    first = role_with_duties("Answer customer emails within a day")
    assert overlap_pairs(user=hr)[0] == []

    duties = [{"text": "Answer customer emails within a day, politely"}]
    role_create(team=first.team, title="Second", duties=duties, acting_user=None)

    assert len(overlap_pairs(user=hr)[0]) == 1


# A realistic vocabulary: many words, few shared between any two duties (plus planted near-copies).
_HANZI = (
    "市场用户产品运营数据分析调研反馈需求设计开发测试维护系统平台促销广告品牌客户服务"
    "质量技术架构安全稳定功能体验支持业务发展团队协调合作上线计划执行活动销售目标媒体"
    "关系投诉咨询效率流程规范文档培训招聘预算采购物流仓储财务法务合规风险"
)


def _generated_texts(n, seed=7):
    rng = random.Random(seed)
    zh_words = ["".join(rng.sample(_HANZI, 2)) for _ in range(3000)]
    en_words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(3000)]
    texts = []
    for i in range(n):
        if i % 10 == 9:  # a near-copy of an earlier duty
            texts.append(texts[rng.randrange(i)] + ("，并汇报" if i % 20 == 9 else " and report"))
        elif i % 2:
            texts.append(",".join("".join(rng.sample(zh_words, 2)) for _ in range(3)))
        else:
            texts.append(" ".join(rng.sample(en_words, 6)))
    return texts


def test_similar_pairs_is_exact_on_a_small_sample():
    sets = [features(t) for t in _generated_texts(300)]
    expected = {
        (i, j)
        for i in range(len(sets))
        for j in range(i + 1, len(sets))
        if dice(sets[i], sets[j]) >= DEFAULT_OVERLAP_THRESHOLD - 1e-9
    }

    found, _ = similar_pairs(sets, DEFAULT_OVERLAP_THRESHOLD)

    assert {(i, j) for i, j, _ in found} == expected


def test_candidate_pairs_stay_far_below_all_pairs_at_thousands_of_duties():
    sets = [features(t) for t in _generated_texts(5000)]

    _found, stats = similar_pairs(sets, DEFAULT_OVERLAP_THRESHOLD)

    assert stats.all_pairs == 5000 * 4999 // 2
    assert stats.candidates < stats.all_pairs / 20


def test_overlap_query_count_is_fixed(hr, django_assert_max_num_queries):
    team = Team.objects.create(name="Big", slug="big")
    for i in range(30):
        RoleFactory(team=team)
        role_with_duties(f"Duty number {i} about {i * 7}", team=TeamFactory())
    with django_assert_max_num_queries(12):
        pairs, _ = overlap_pairs(user=hr, threshold=0.3)
        overlap_pairs_resolve(pairs[:50])


def test_a_work_budget_stops_runaway_joins_and_says_so():
    # Every text made of the same few words: every posting list is long.
    sets = [features(f"plan run review report {['alpha', 'beta', 'gamma', 'delta'][i % 4]}") for i in range(400)]

    _found, bounded = similar_pairs(sets, DEFAULT_OVERLAP_THRESHOLD, max_work=1000)
    _found, full = similar_pairs(sets, DEFAULT_OVERLAP_THRESHOLD)

    assert bounded.complete is False and bounded.pairs < full.pairs
    assert full.complete is True
