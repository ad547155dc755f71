import re
from pathlib import Path

import pytest
from django.core.management import call_command

from orgstructure.models import ChangeEvent
from roles.models import Duty, Role, RoleRevision
from roles.org_template import org_template_load
from teams.models import Team, TeamDuty

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "ecommerce-org.md"


def seed_document_texts():
    """Chinese and English lines of sections 1 and 2 of the seed document, in order."""
    text = SEED.read_text(encoding="utf-8")
    body = text.split("## 3.")[0]
    zh = re.findall(r"^\d\. (.+)$", body, flags=re.M)
    en = re.findall(r"^   (\S.+)$", body, flags=re.M)
    return zh, en


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_template_creates_the_seed_organisation_exactly(lang):
    report = org_template_load(key="ecommerce", lang=lang)

    assert Team.objects.count() == 5
    assert TeamDuty.objects.count() == 15
    assert Role.objects.count() == 5
    assert Duty.objects.count() == 15
    assert RoleRevision.objects.count() == 5
    assert len(report.teams_created) == 5 and report.duties_created == 15
    assert set(Team.objects.values_list("slug", flat=True)) == {
        "product",
        "operations",
        "marketing",
        "customer-service",
        "technology",
    }
    # every role duty serves a core duty of its own team
    for duty in Duty.objects.select_related("role", "serves"):
        assert duty.serves is not None and duty.serves.team_id == duty.role.team_id
    assert set(RoleRevision.objects.values_list("source", flat=True)) == {"template"}


@pytest.mark.skipif(not SEED.exists(), reason="the seed document is not beside the checkout")
@pytest.mark.parametrize("lang, index", [("zh-hans", 0), ("en", 1)])
def test_template_texts_are_the_seed_documents_texts(lang, index):
    org_template_load(key="ecommerce", lang=lang)
    expected = seed_document_texts()[index]
    stored = []
    for team in Team.objects.order_by("position"):
        stored += list(team.core_duties.order_by("position").values_list("text", flat=True))
    for team in Team.objects.order_by("position"):
        for role in team.roles.all():
            stored += list(role.duties.order_by("position").values_list("text", flat=True))
    assert stored == expected


def test_chinese_names_and_the_product_managers_links():
    org_template_load(key="ecommerce", lang="zh-hans")
    product = Team.objects.get(slug="product")
    assert product.name == "产品团队" and product.kind == "product"
    pm = Role.objects.get(team=product, slug="product-manager")
    assert pm.title == "产品经理" and pm.version == 1
    links = [(d.text[:4], d.serves.position) for d in pm.duties.order_by("position")]
    assert links == [("负责产品", 1), ("协调设计", 3), ("监控产品", 2)]


def test_loading_twice_changes_nothing():
    call_command("load_org_template", "ecommerce", "--lang", "en")
    counts = [m.objects.count() for m in (Team, TeamDuty, Role, Duty, RoleRevision, ChangeEvent)]
    versions = list(Role.objects.values_list("version", flat=True))

    report = org_template_load(key="ecommerce", lang="en")

    assert not report.changed
    assert [m.objects.count() for m in (Team, TeamDuty, Role, Duty, RoleRevision, ChangeEvent)] == counts
    assert list(Role.objects.values_list("version", flat=True)) == versions


def test_loading_after_a_partial_edit_only_adds_what_is_missing(hr):
    org_template_load(key="ecommerce", lang="en")
    Role.objects.get(slug="product-manager").delete()
    report = org_template_load(key="ecommerce", lang="en")
    assert report.roles_created == ["product/product-manager"]
    assert Role.objects.count() == 5 and Team.objects.count() == 5
