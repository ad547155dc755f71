"""A small organisation for the review workflows: a company with a lead, a product team with
its own lead, a technology team without one (its reviews go to the company lead), and a
separate team with no lead anywhere."""

import datetime as dt
from types import SimpleNamespace

import pytest

from reviews import services
from reviews.models import RoleReview
from roles.services import role_duties_replace
from teams.services import membership_add
from tests.factories import TeamFactory, UserFactory, role_with_duties


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db, hr):
    company = TeamFactory(name="Company", slug="company")
    product = TeamFactory(name="Product", slug="product", parent=company)
    tech = TeamFactory(name="Technology", slug="tech", parent=company)
    lonely = TeamFactory(name="Lonely", slug="lonely")
    boss = UserFactory(username="boss")
    lead = UserFactory(username="lead-product")
    member = UserFactory(username="member-tech")
    outsider = UserFactory(username="outsider")
    membership_add(user=boss, team=company, is_lead=True, acting_user=None)
    membership_add(user=lead, team=product, is_lead=True, acting_user=None)
    membership_add(user=member, team=tech, acting_user=None)
    pm = role_with_duties("Write the PRD", "Coordinate launches", "Monitor metrics", team=product, title="PM")
    dev = role_with_duties("Build features", "Fix bugs", team=tech, title="Developer")
    solo = role_with_duties("Do everything", team=lonely, title="Solo")
    return SimpleNamespace(
        company=company,
        product=product,
        tech=tech,
        lonely=lonely,
        hr=hr,
        boss=boss,
        lead=lead,
        member=member,
        outsider=outsider,
        pm=pm,
        dev=dev,
        solo=solo,
    )


@pytest.fixture
def cycle(org):
    """An open cycle over the whole organisation."""
    draft = services.review_cycle_create(
        name="Q1", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 31), acting_user=org.hr
    )
    return services.review_cycle_open(cycle=draft, acting_user=org.hr)


def duties_of(role):
    return list(role.duties.order_by("position").values_list("text", flat=True))


def revise_list(role, *texts):
    """A proposed list: existing duties keep their ids when their text is reused."""
    by_text = {d.text: d.pk for d in role.duties.all()}
    return [{"id": by_text.get(t), "text": t} for t in texts]


def review_of(cycle, role):
    return RoleReview.objects.get(cycle=cycle, role=role)


def pm_duty_ids(org):
    """The product manager's duties: text → id."""
    return {d.text: d.pk for d in org.pm.duties.all()}


def hr_edits(org, *texts_or_items):
    """HR replaces the product manager's list: a text keeps the id of the duty with that text."""
    org.pm.refresh_from_db()
    current = pm_duty_ids(org)
    items = [t if isinstance(t, dict) else {"id": current.get(t), "text": t} for t in texts_or_items]
    return role_duties_replace(role=org.pm, duties=items, expected_version=org.pm.version, acting_user=org.hr)


def submit_revise(cycle, org, items):
    """The lead submits a revised list for the product manager's review."""
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="revise", duties=items, acting_user=org.lead)
    return review
