import pytest

from roles.models import Role
from roles.org_template import org_template_load
from roles.quality import IssueCode, duty_is_too_long, duty_list_issues, role_quality_issues, text_length_units
from tests.factories import RoleFactory, role_with_duties


def codes(issues):
    return [i.code for i in issues]


def test_length_limit_is_80_chinese_or_200_latin_characters():
    assert text_length_units("用户" * 40) == 200
    assert not duty_is_too_long("用" * 80)
    assert duty_is_too_long("用" * 81)
    assert not duty_is_too_long("x" * 200)
    assert duty_is_too_long("x" * 201)
    # Mixed text in proportion: 60 Chinese characters (150 units) + 51 Latin ones.
    assert duty_is_too_long("用" * 60 + "x" * 51)


def test_a_good_list_has_no_issues():
    assert duty_list_issues(["收集用户反馈,分析用户需求,提出改进建议。", "维护用户关系,提升用户满意度。"]) == []


def test_each_kind_of_issue_is_reported_with_positions():
    issues = duty_list_issues(
        [
            "Answer customer emails within a day",
            "Answers customer e-mails within one day",
            "x" * 201,
        ]
    )
    assert codes(issues) == [IssueCode.TOO_LONG, IssueCode.NEAR_DUPLICATE]
    assert issues[0].positions == (3,)
    assert issues[1].positions == (1, 2)
    assert "1" in issues[1].message and "2" in issues[1].message


def test_too_many_and_no_duties():
    assert codes(duty_list_issues([f"Duty {i} about topic{i}" for i in range(11)])) == [IssueCode.TOO_MANY]
    assert codes(duty_list_issues([f"Duty {i} about topic{i}" for i in range(10)])) == []
    assert codes(duty_list_issues([])) == [IssueCode.NO_DUTIES]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_seed_roles_are_clear_and_concise(lang):
    org_template_load(key="ecommerce", lang=lang)

    issues = role_quality_issues(Role.objects.all())

    assert len(issues) == 5
    assert all(v == [] for v in issues.values())


@pytest.mark.django_db
def test_role_quality_issues_is_bulk_with_one_query(django_assert_num_queries):
    empty = RoleFactory()
    dup = role_with_duties("Answer customer emails within a day", "Answer customer emails within one day")
    fine = role_with_duties("Keep the FAQ up to date")
    many = [role_with_duties(*[f"Duty {i} about topic{i}" for i in range(12)]) for _ in range(5)]

    with django_assert_num_queries(1):
        issues = role_quality_issues([empty, dup, fine.pk, *many])

    assert codes(issues[empty.pk]) == [IssueCode.NO_DUTIES]
    assert codes(issues[dup.pk]) == [IssueCode.NEAR_DUPLICATE]
    assert issues[fine.pk] == []
    assert all(codes(issues[r.pk]) == [IssueCode.TOO_MANY] for r in many)
