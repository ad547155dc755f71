"""Two duty-list changes at once on PostgreSQL: the index still equals a rebuild."""

import pytest

from roles.models import OverlapPair, Role
from roles.overlap import overlap_rebuild
from roles.services import role_duties_replace
from tests.factories import RoleFactory, TeamFactory
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def snapshot():
    return sorted(
        (p.item_a.key, p.item_b.key, p.score, p.relation)
        for p in OverlapPair.objects.select_related("item_a", "item_b")
    )


def test_concurrent_duty_lists_that_overlap_each_other_are_paired():
    for _ in range(10):
        a, b = RoleFactory(team=TeamFactory()), RoleFactory(team=TeamFactory())

        def put(role, text):
            def call():
                fresh = Role.objects.get(pk=role.pk)
                return role_duties_replace(
                    role=fresh, duties=[{"text": text}], expected_version=fresh.version, acting_user=None
                )

            return call

        results = race(put(a, "Answer customer emails within a day"), put(b, "Answers customer e-mails within one day"))

        assert [r[0] for r in results] == ["ok", "ok"]
        incremental = snapshot()
        assert incremental  # the two new duties are alike (and like the earlier rounds')
        overlap_rebuild()
        assert snapshot() == incremental
