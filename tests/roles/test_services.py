import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from orgstructure.exceptions import ConflictError, StaleVersionError
from orgstructure.models import ChangeEvent
from roles.models import Duty, RoleRevision
from roles.services import (
    MAX_DUTIES_PER_ROLE,
    role_create,
    role_duties_replace,
    role_retire,
    role_revision_restore,
    role_update,
)
from teams.services import team_core_duties_replace
from tests.factories import RoleFactory, TeamFactory, hr_manager, role_with_duties

pytestmark = pytest.mark.django_db


def duty_texts(role):
    return list(Duty.objects.filter(role=role).order_by("position").values_list("text", flat=True))


def test_replace_writes_one_revision_and_bumps_the_version(hr):
    team = TeamFactory()
    plan, ship = team_core_duties_replace(team=team, duties=[{"text": "Plan"}, {"text": "Ship"}], acting_user=hr)
    role = RoleFactory(team=team)

    revision = role_duties_replace(
        role=role,
        duties=[{"text": "Write the roadmap", "serves": plan.pk}, {"text": "  Release   monthly ", "serves": ship.pk}],
        expected_version=0,
        acting_user=hr,
        reason="First list",
        source="admin",
    )

    role.refresh_from_db()
    assert role.version == 1
    assert revision.number == 1 and revision.author == hr and revision.reason == "First list"
    assert [(d["position"], d["text"], d["serves"], d["serves_text"]) for d in revision.duties] == [
        (1, "Write the roadmap", plan.pk, "Plan"),
        (2, "Release monthly", ship.pk, "Ship"),  # whitespace normalised
    ]
    assert duty_texts(role) == ["Write the roadmap", "Release monthly"]
    assert ChangeEvent.objects.filter(action="role.duties_replaced", role=role, data__version=1).exists()


def test_reorder_reword_add_remove_keep_ids_of_surviving_duties(hr):
    role = role_with_duties("A", "B", "C")
    ids = {d.text: d.pk for d in role.duties.all()}

    role_duties_replace(
        role=role,
        duties=[{"text": "C"}, {"text": "A, reworded", "id": ids["A"]}, {"text": "D"}],
        expected_version=1,
        acting_user=hr,
    )

    role.refresh_from_db()
    assert role.version == 2
    duties = list(role.duties.order_by("position"))
    assert [(d.position, d.text) for d in duties] == [(1, "C"), (2, "A, reworded"), (3, "D")]
    assert duties[0].pk == ids["C"] and duties[1].pk == ids["A"]
    assert not Duty.objects.filter(pk=ids["B"]).exists()
    assert RoleRevision.objects.filter(role=role).count() == 2


def test_stale_version_is_refused_naming_who_changed_it_and_nothing_changes(hr):
    role = role_with_duties("A", "B")
    other = hr_manager(username="other-hr", first_name="Mei", last_name="Lin")
    role_duties_replace(
        role=role, duties=[{"text": "A"}, {"text": "B"}, {"text": "C"}], expected_version=1, acting_user=other
    )

    with pytest.raises(StaleVersionError) as exc:
        role_duties_replace(role=role, duties=[{"text": "Mine"}], expected_version=1, acting_user=hr)

    assert exc.value.current_version == 2
    assert "Mei Lin" in str(exc.value.message)
    role.refresh_from_db()
    assert role.version == 2
    assert duty_texts(role) == ["A", "B", "C"]
    assert RoleRevision.objects.filter(role=role).count() == 2


@pytest.mark.parametrize(
    "duties, message",
    [
        ([{"text": ""}], "cannot be empty"),
        ([{"text": " \t "}], "cannot be empty"),
        ([{"text": "x" * 501}], "too long"),
        ([{"text": "Same duty"}, {"text": "same   DUTY"}], "repeats duty 1"),
        ([{"text": "nul\x00"}], "control characters"),
        ([{"text": None}], "must be text"),
        ([{"text": "ok", "serves": "1"}], "core duty"),
        ([{"text": "ok", "serves": True}], "core duty"),
        ([{"text": f"duty {i}"} for i in range(MAX_DUTIES_PER_ROLE + 1)], "at most"),
        ("not a list", "must be a list"),
        (["just a string"], "must be an object"),
    ],
)
def test_invalid_lists_are_refused_with_nothing_changed(hr, duties, message):
    role = role_with_duties("Keep", "These")
    with pytest.raises(ValidationError) as exc:
        role_duties_replace(role=role, duties=duties, expected_version=1, acting_user=hr)
    assert message in str(exc.value)
    role.refresh_from_db()
    assert role.version == 1
    assert duty_texts(role) == ["Keep", "These"]
    assert RoleRevision.objects.filter(role=role).count() == 1


def test_serves_must_be_a_core_duty_of_the_roles_own_team(hr):
    role = role_with_duties("Keep")
    other_team = TeamFactory()
    (foreign,) = team_core_duties_replace(team=other_team, duties=[{"text": "Theirs"}], acting_user=hr)
    with pytest.raises(ValidationError) as exc:
        role_duties_replace(
            role=role, duties=[{"text": "Keep", "serves": foreign.pk}], expected_version=1, acting_user=hr
        )
    assert "own team" in str(exc.value)
    assert Duty.objects.get(role=role).serves is None


def test_html_and_cjk_text_is_stored_as_text(hr):
    role = role_with_duties("Keep")
    texts = ["<script>alert(1)</script>", "收集用户反馈,分析用户需求", "مرحبا 👋"]
    role_duties_replace(role=role, duties=[{"text": t} for t in texts], expected_version=1, acting_user=hr)
    assert duty_texts(role) == texts


def test_unchanged_list_writes_no_revision(hr):
    role = role_with_duties("A", "B")
    assert (
        role_duties_replace(role=role, duties=[{"text": "A"}, {"text": "B"}], expected_version=1, acting_user=hr)
        is None
    )
    role.refresh_from_db()
    assert role.version == 1


def test_only_hr_may_replace(member):
    role = role_with_duties("A")
    with pytest.raises(PermissionDenied):
        role_duties_replace(role=role, duties=[{"text": "B"}], expected_version=1, acting_user=member)
    assert duty_texts(role) == ["A"]


def test_retired_roles_are_frozen(hr):
    role = role_with_duties("A")
    role_retire(role=role, acting_user=hr)
    with pytest.raises(ConflictError):
        role_duties_replace(role=role, duties=[{"text": "B"}], expected_version=1, acting_user=hr)
    assert duty_texts(role) == ["A"]


def test_restore_goes_through_replace_as_a_new_revision(hr):
    role = role_with_duties("A", "B")
    role_duties_replace(role=role, duties=[{"text": "C"}], expected_version=1, acting_user=hr)
    first = RoleRevision.objects.get(role=role, number=1)

    restored = role_revision_restore(revision=first, expected_version=2, acting_user=hr)

    assert restored.number == 3 and restored.source == "restore" and restored.restored_from == first
    assert duty_texts(role) == ["A", "B"]
    with pytest.raises(StaleVersionError):
        role_revision_restore(revision=first, expected_version=2, acting_user=hr)


def test_restore_drops_links_to_core_duties_that_are_gone(hr):
    team = TeamFactory()
    (gone,) = team_core_duties_replace(team=team, duties=[{"text": "Old core"}], acting_user=hr)
    role = RoleFactory(team=team)
    role_duties_replace(role=role, duties=[{"text": "A", "serves": gone.pk}], expected_version=0, acting_user=hr)
    role_duties_replace(role=role, duties=[{"text": "B"}], expected_version=1, acting_user=hr)
    team_core_duties_replace(team=team, duties=[{"text": "New core"}], acting_user=hr)

    role_revision_restore(revision=role.revisions.get(number=1), expected_version=2, acting_user=hr)

    assert list(role.duties.values_list("text", "serves")) == [("A", None)]


def test_role_create_with_duties_is_revision_one(hr):
    team = TeamFactory()
    role = role_create(team=team, title="Analyst", duties=[{"text": "Analyse"}], acting_user=hr)
    assert role.slug == "analyst" and role.version == 1
    assert role.revisions.get().reason == "Role created"


def test_role_update_cannot_move_the_role_or_touch_its_version(hr):
    role = role_with_duties("A")
    with pytest.raises(ValidationError):
        role_update(role=role, team=TeamFactory(), acting_user=hr)
    with pytest.raises(ValidationError):
        role_update(role=role, version=99, acting_user=hr)
    role.refresh_from_db()
    assert role.version == 1


def test_role_slug_is_unique_within_its_team_only(hr):
    a, b = TeamFactory(), TeamFactory()
    role_create(team=a, title="Analyst", slug="analyst", acting_user=hr)
    role_create(team=b, title="Analyst", slug="analyst", acting_user=hr)
    with pytest.raises(ValidationError):
        role_create(team=a, title="Analyst", slug="analyst", acting_user=hr)
