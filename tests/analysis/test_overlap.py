import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roles.models import Duty, OverlapDecision, OverlapPair, OverlapRelation, Role, RoleStatus
from roles.org_template import org_template_load
from roles.overlap import (
    DEFAULT_OVERLAP_THRESHOLD,
    Decided,
    equivalent_term_create,
    equivalent_term_delete,
    overlap_decision_clear,
    overlap_decision_mark,
    overlap_pairs,
    overlap_rebuild,
    overlap_views,
    similar_pairs,
)
from roles.services import role_create, role_duties_replace
from roles.textsim import dice, features
from teams.models import Team, TeamDuty
from teams.services import team_core_duties_replace
from tests.factories import RoleFactory, TeamFactory, role_with_duties

pytestmark = pytest.mark.django_db


def texts(pair):
    return (pair.item_a.text, pair.item_b.text)


def listed(user, **kwargs):
    return {texts(p): p for p in overlap_pairs(user=user, **kwargs)}


def index_snapshot():
    """The stored pairs, independent of index-entry ids."""
    return sorted(
        (p.item_a.key, p.item_b.key, p.score, p.relation, p.team_a_id, p.team_b_id, p.texts_hash, repr(p.shared))
        for p in OverlapPair.objects.select_related("item_a", "item_b")
    )


# The overlaps between teams a reader of the seed sees at once (issue 13).
FEEDBACK = {
    "zh-hans": ("进行市场调研,分析用户反馈,优化产品功能。", "收集用户反馈,分析用户需求,提升服务质量。"),
    "en": (
        "Runs market research, analyses user feedback, and improves product features.",
        "Collects user feedback, analyses user needs, and raises service quality.",
    ),
}
PROMOTIONS = ("负责促销活动的策划与执行,提升销售额。", "负责市场推广活动的策划与执行,提升品牌曝光。")


def find(found, one, other):
    return found.get((one, other)) or found.get((other, one))


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_default_view_shows_the_cross_team_overlaps_of_the_seed_and_no_restatements(lang, hr):
    # given
    org_template_load(key="ecommerce", lang=lang)
    # when
    found = listed(hr)
    # then
    feedback = find(found, *FEEDBACK[lang])
    assert feedback is not None and feedback.relation == OverlapRelation.CROSS_TEAM
    assert {feedback.team_a.slug, feedback.team_b.slug} == {"product", "customer-service"}
    if lang == "zh-hans":
        promotions = find(found, *PROMOTIONS)
        assert promotions is not None and promotions.relation == OverlapRelation.CROSS_TEAM
        assert {promotions.team_a.slug, promotions.team_b.slug} == {"operations", "marketing"}
    assert all(p.relation in (OverlapRelation.CROSS_TEAM, OverlapRelation.SAME_TEAM) for p in found.values())
    assert all(p.score >= DEFAULT_OVERLAP_THRESHOLD for p in found.values())
    # nothing unrelated: technology never meets customer service
    assert not any({p.team_a.slug, p.team_b.slug} == {"technology", "customer-service"} for p in found.values())


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_restatements_of_the_served_core_duty_are_listed_on_request(lang, hr):
    org_template_load(key="ecommerce", lang=lang)

    serves = list(overlap_pairs(user=hr, relations=[OverlapRelation.SERVES]))

    assert len(serves) >= 5
    for pair in serves:
        assert pair.item_a.duty_id and pair.item_b.core_id
        assert pair.item_a.serves_id == pair.item_b.core_id and pair.team_a_id == pair.team_b_id
    cs = Duty.objects.get(role__slug="customer-service-specialist", position=2)
    assert any(p.item_a.duty_id == cs.pk for p in serves)


def test_shared_activities_are_highlighted_in_both_texts(hr):
    org_template_load(key="ecommerce", lang="zh-hans")
    pair = find(listed(hr), *FEEDBACK["zh-hans"])

    (view,) = overlap_views([pair])

    shared = {(s["a"], s["b"]) for s in view.shared_activities()}
    product_first = pair.item_a.text.startswith("进行市场调研")
    expected = ("分析用户反馈", "收集用户反馈") if product_first else ("收集用户反馈", "分析用户反馈")
    assert expected in shared
    marked_a = [text for text, on in view.a_segments if on]
    assert expected[0] in marked_a
    assert "".join(text for text, _on in view.a_segments) == pair.item_a.text
    assert "".join(text for text, _on in view.b_segments) == pair.item_b.text


def test_the_same_duty_in_two_teams_is_a_cross_team_overlap(hr):
    a = role_with_duties("Answer customer emails within a day", "Keep the FAQ up to date", team=TeamFactory())
    b = role_with_duties("Answers customer e-mails within one day", "Run the release train", team=TeamFactory())

    pairs = list(overlap_pairs(user=hr))

    assert len(pairs) == 1
    (pair,) = pairs
    assert pair.relation == OverlapRelation.CROSS_TEAM
    assert {pair.role_a_id, pair.role_b_id} == {a.pk, b.pk}


def test_duplicates_inside_one_role_are_left_to_the_quality_checks(hr):
    role_with_duties("Answer customer emails within a day", "Answer customer emails within one day")

    assert list(overlap_pairs(user=hr)) == []
    assert len(overlap_pairs(user=hr, relations=[OverlapRelation.SAME_ROLE])) == 1


def test_draft_roles_overlaps_are_hidden_from_people_who_may_not_see_them(hr, member):
    role_with_duties("Answer customer emails within a day", team=TeamFactory())
    role_with_duties("Answer customer emails within one day", team=TeamFactory(), status=RoleStatus.DRAFT)

    assert len(overlap_pairs(user=hr)) == 1
    assert list(overlap_pairs(user=member)) == []


def test_retired_roles_and_archived_teams_are_left_out(hr):
    role_with_duties("Answer customer emails within a day")
    retired = role_with_duties("Answer customer emails within one day")
    assert len(overlap_pairs(user=hr)) == 1

    Role.objects.filter(pk=retired.pk).update(status=RoleStatus.RETIRED)
    assert list(overlap_pairs(user=hr)) == []
    Role.objects.filter(pk=retired.pk).update(status=RoleStatus.ACTIVE)
    Team.objects.filter(pk=retired.team_id).update(archived=True)
    assert list(overlap_pairs(user=hr)) == []


def test_the_index_follows_duty_list_changes_in_the_same_transaction(hr):
    first = role_with_duties("Answer customer emails within a day")
    assert list(overlap_pairs(user=hr)) == []

    role = role_create(
        team=TeamFactory(),
        title="Second",
        duties=[{"text": "Answer customer emails within a day, politely"}],
        acting_user=None,
    )
    assert len(overlap_pairs(user=hr)) == 1

    role_duties_replace(role=role, duties=[{"text": "Run the release train"}], expected_version=1, acting_user=None)
    assert list(overlap_pairs(user=hr)) == []
    assert first.pk


def test_the_index_follows_core_duty_changes(hr):
    role_with_duties("Collect user feedback and analyse user needs", team=TeamFactory())
    team = TeamFactory()
    assert list(overlap_pairs(user=hr)) == []

    team_core_duties_replace(
        team=team, duties=[{"text": "Collects user feedback, analyses user needs"}], acting_user=None
    )

    (pair,) = overlap_pairs(user=hr)
    assert pair.item_b.core_id == TeamDuty.objects.get(team=team).pk


def test_equivalent_terms_apply_at_once(hr):
    role_with_duties("市场调研与竞品跟踪", team=TeamFactory())
    role_with_duties("市场分析与竞品跟踪", team=TeamFactory())
    before = {p.score for p in overlap_pairs(user=hr, threshold=0.4)}

    entry = equivalent_term_create(term="市场调研", equivalent="市场分析", acting_user=hr)

    (pair,) = overlap_pairs(user=hr)
    assert pair.score == 1.0 and all(s < 1.0 for s in before)
    equivalent_term_delete(entry=entry, acting_user=hr)
    assert {p.score for p in overlap_pairs(user=hr, threshold=0.4)} == before


def test_equivalent_terms_are_for_hr_only(member):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        equivalent_term_create(term="市场调研", equivalent="市场分析", acting_user=member)


def test_an_intended_mark_survives_unrelated_edits_and_lapses_when_a_text_changes(hr):
    # given
    a = role_with_duties("Answer customer emails within a day", "Keep the FAQ up to date", team=TeamFactory())
    b = role_with_duties("Answers customer e-mails within one day", team=TeamFactory())
    (pair,) = overlap_pairs(user=hr)
    overlap_decision_mark(pair=pair, note="Both teams answer their own customers.", acting_user=hr)
    assert list(overlap_pairs(user=hr)) == []
    (intended,) = overlap_pairs(user=hr, decided=Decided.INTENDED)
    assert overlap_views([intended])[0].decision.note == "Both teams answer their own customers."
    # when: an unrelated edit of one of the two roles, and of a third role
    role_duties_replace(
        role=a,
        duties=[{"text": "Answer customer emails within a day"}, {"text": "Keep the FAQ short"}],
        expected_version=1,
        acting_user=None,
    )
    role_with_duties("Run the release train")
    # then: still decided
    assert list(overlap_pairs(user=hr)) == []
    assert len(overlap_pairs(user=hr, decided=Decided.INTENDED)) == 1
    # when: one of the texts changes
    role_duties_replace(
        role=b,
        duties=[{"text": "Answers customer e-mails within one working day"}],
        expected_version=1,
        acting_user=None,
    )
    # then: listed again
    (again,) = overlap_pairs(user=hr)
    assert overlap_views([again])[0].decision is None
    assert OverlapDecision.objects.count() == 1  # kept, but no longer matching


def test_taking_an_intended_mark_back_lists_the_pair_again(hr):
    role_with_duties("Answer customer emails within a day", team=TeamFactory())
    role_with_duties("Answers customer e-mails within one day", team=TeamFactory())
    (pair,) = overlap_pairs(user=hr)
    overlap_decision_mark(pair=pair, note="", acting_user=hr)

    overlap_decision_clear(pair=pair, acting_user=hr)

    assert len(overlap_pairs(user=hr)) == 1


def test_only_hr_marks_pairs_intended(hr, member):
    from django.core.exceptions import PermissionDenied

    role_with_duties("Answer customer emails within a day", team=TeamFactory())
    role_with_duties("Answers customer e-mails within one day", team=TeamFactory())
    (pair,) = overlap_pairs(user=hr)

    with pytest.raises(PermissionDenied):
        overlap_decision_mark(pair=pair, note="", acting_user=member)
    assert not OverlapDecision.objects.exists()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_rebuild_equals_the_index_kept_by_the_services(lang, hr):
    org_template_load(key="ecommerce", lang=lang)
    incremental = index_snapshot()

    overlap_rebuild()

    assert index_snapshot() == incremental and incremental


# Property: after any sequence of duty-list edits the incremental index equals a rebuild.
_PIECES = [
    "收集用户反馈",
    "分析用户需求",
    "进行市场调研",
    "策划促销活动",
    "维护系统稳定",
    "负责渠道投放",
    "collect user feedback",
    "analyse user needs",
    "plan and run promotions",
    "keep the platform stable",
    "answer customer emails",
    "market research",
    # longer ones, so that the sets' sizes differ (the index bounds frequent features by size)
    "收集并整理全部渠道的用户反馈与投诉记录",
    "分析用户需求与用户反馈的变化趋势",
    "collect user feedback from every channel and keep the complaint log",
    "plan and run promotions with the marketing team every quarter",
]
_duty_text = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=3, unique=True).map(lambda parts: ",".join(parts))
# (0-3: that role's duty list; 4-5: core duties of team 0 or 1, new texts)
_edit = st.tuples(st.integers(0, 5), st.lists(_duty_text, min_size=1, max_size=4, unique=True))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(_edit, min_size=1, max_size=8),
    core=st.lists(_duty_text, min_size=1, max_size=3, unique=True),
    frequent=st.sampled_from([0, 1, 2, 50]),  # which features count as frequent (looked up by size)
)
def test_property_incremental_index_equals_rebuild(edits, core, frequent):
    from roles import overlap

    saved, overlap.FREQUENT = overlap.FREQUENT, frequent
    try:
        _edit_and_compare(edits, core)
    finally:
        overlap.FREQUENT = saved


def _edit_and_compare(edits, core):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    with transaction.atomic():
        teams = [TeamFactory(), TeamFactory()]
        team_core_duties_replace(team=teams[0], duties=[{"text": t} for t in core], acting_user=None)
        roles = [RoleFactory(team=teams[i % 2]) for i in range(4)]
        for index, new_texts in edits:
            if index >= 4:
                try:
                    with transaction.atomic():
                        team_core_duties_replace(
                            team=teams[index - 4], duties=[{"text": t} for t in new_texts], acting_user=None
                        )
                except ValidationError:  # still served: refused, nothing changed
                    pass
                continue
            role = Role.objects.get(pk=roles[index].pk)
            cores = list(TeamDuty.objects.filter(team_id=role.team_id).order_by("pk"))
            duties = [
                {"text": t, "serves": cores[n % len(cores)].pk if cores and n % 2 else None}
                for n, t in enumerate(new_texts)
            ]
            role_duties_replace(role=role, duties=duties, expected_version=role.version, acting_user=None)
        incremental = index_snapshot()
        overlap_rebuild()
        assert index_snapshot() == incremental
        transaction.set_rollback(True)


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
    for threshold in (0.4, DEFAULT_OVERLAP_THRESHOLD, 0.6):
        expected = {
            (i, j)
            for i in range(len(sets))
            for j in range(i + 1, len(sets))
            if dice(sets[i], sets[j]) >= threshold - 1e-9
        }

        found, _ = similar_pairs(sets, threshold)

        assert {(i, j) for i, j, _ in found} == expected


def test_candidate_pairs_stay_far_below_all_pairs_at_thousands_of_duties():
    sets = [features(t) for t in _generated_texts(5000)]

    _found, stats = similar_pairs(sets, 0.4)

    assert stats.all_pairs == 5000 * 4999 // 2
    assert stats.candidates < stats.all_pairs / 20


@pytest.mark.parametrize("size", [5, 30])
def test_overlap_query_count_is_fixed(hr, size, django_assert_num_queries):
    for i in range(size):
        role_with_duties(f"Answer customer emails number {i} within a day", team=TeamFactory())
    with django_assert_num_queries(5):  # permission check, page, count, decisions
        pairs = overlap_pairs(user=hr, threshold=0.4)
        page = list(pairs[:50])
        assert pairs.count() >= size
        overlap_views(page)


def test_frequent_features_are_looked_up_among_small_enough_duties(hr, monkeypatch):
    # given: every feature counts as frequent, so candidates come only from the size bound
    from roles import overlap

    monkeypatch.setattr(overlap, "FREQUENT", 0)
    role_with_duties("alpha beta gamma delta epsilon zeta eta", team=TeamFactory())  # 7 features
    role_with_duties("kappa lambda mu nu xi omicron pi rho sigma tau upsilon", team=TeamFactory())
    # when: 3 features, all shared: Dice 6/10 = 0.6, the largest partner at the 0.4 threshold is 12
    role_with_duties("alpha beta gamma", team=TeamFactory())
    # then
    (pair,) = overlap_pairs(user=hr, threshold=0.4)
    assert pair.score == 0.6
    incremental = index_snapshot()
    overlap_rebuild()
    assert index_snapshot() == incremental


# Brute force: every pair of indexed duties scored, against the stored pairs. The candidate
# search prunes with prefix, size and count bounds; a bound cut one feature too short loses
# pairs here. Small vocabularies with a few very frequent words (so that FREQUENT, patched,
# splits the features in every way) and clauses of 1-6 words (sizes on both sides of the
# bounds).
_COMMON = ["manage", "report", "user", "data", "分析", "用户"]
_RARE = [f"w{n:02d}" for n in range(40)] + ["市场调研", "促销活动", "系统稳定", "渠道投放", "服务质量", "品牌曝光"]


def _random_duty(rng):
    clauses = []
    for _ in range(rng.randint(1, 4)):
        words = [rng.choice(_COMMON if rng.random() < 0.35 else _RARE) for _ in range(rng.randint(1, 6))]
        clauses.append(" ".join(words))
    return ", ".join(clauses)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("frequent", [0, 2, 8, 50])
def test_index_equals_brute_force_on_random_corpora(seed, frequent, monkeypatch):
    from roles import overlap
    from roles.models import OverlapItem
    from roles.textsim import duty_profile, pair_score

    monkeypatch.setattr(overlap, "FREQUENT", frequent)
    rng = random.Random(seed)
    teams = [TeamFactory() for _ in range(3)]
    texts = [_random_duty(rng) for _ in range(36)]
    for n in range(6, 36, 6):  # near-copies: one clause of an earlier duty
        texts[n] = texts[rng.randrange(n)].split(", ")[0] + ", " + texts[n]
    for start in range(0, len(texts), 4):  # roles of four duties, indexed one at a time
        role_with_duties(*dict.fromkeys(texts[start : start + 4]), team=teams[start % 3])
    items = list(OverlapItem.objects.values_list("key", "text"))
    equivalents = overlap.current_equivalents()
    profiles = {key: duty_profile(text, equivalents) for key, text in items}
    expected = set()
    for i, (a, _) in enumerate(items):
        for b, _ in items[i + 1 :]:
            score, _shared = pair_score(profiles[a], profiles[b])
            if score >= overlap.MIN_OVERLAP_THRESHOLD - overlap.EPS:
                expected.add(frozenset((a, b)))

    stored = {frozenset((p.item_a.key, p.item_b.key)) for p in OverlapPair.objects.select_related("item_a", "item_b")}

    assert stored == expected and expected
    incremental = index_snapshot()
    overlap_rebuild()
    assert index_snapshot() == incremental
