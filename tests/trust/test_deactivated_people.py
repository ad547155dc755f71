"""A deactivated person no longer shows as a team's lead or a role's holder (org chart document,
chart pages, team page, SVG, dashboard headcount), while the membership admin still lists them
(HR may reactivate them, or remove the membership). Renaming or deactivating a person changes
the org chart's ETag: a script holding the old one gets the new document, not a 304."""

from __future__ import annotations

import pytest
from django.test import Client

from orgstructure.models import ChangeEvent
from tests.trust.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    w = build_world()
    w.lead.first_name, w.lead.last_name = "Leonie", "Leader"
    w.lead.save(update_fields=["first_name", "last_name"])
    from teams.services import membership_update

    membership_update(membership=w.member_membership, role=w.pm, acting_user=None)  # member holds PM
    w.member.first_name, w.member.last_name = "Hold", "Er"
    w.member.save(update_fields=["first_name", "last_name"])
    return w


def _admin_save_person(client: Client, user, **changes):
    """Save a person through the admin's change form, as HR does."""
    page = client.get(f"/admin/auth/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled or name == "password":
            continue
        value = form.initial.get(name, field.initial)
        if hasattr(value, "all"):
            value = [v.pk for v in value.all()]
        elif isinstance(value, (list, tuple)):
            value = [getattr(v, "pk", v) for v in value]
        if name in ("last_login", "date_joined"):
            data[f"{name}_0"], data[f"{name}_1"] = (
                (value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")) if value else ("", "")
            )
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if value is not None:
            data[name] = value
    for name, value in changes.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            else:
                data.pop(name, None)
        else:
            data[name] = value
    response = client.post(f"/admin/auth/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def test_a_deactivated_person_is_no_longer_a_lead_or_holder_but_the_admin_still_lists_them(world):
    w = world
    hr = Client()
    hr.force_login(w.superuser)
    api = Client(HTTP_AUTHORIZATION=f"Token {w.tokens['hr']}")
    before = api.get("/api/v1/org-chart/")
    assert "Leonie" in before.content.decode() and "Hold" in before.content.decode()
    etag = before["ETag"]

    _admin_save_person(hr, w.lead, is_active=False)
    _admin_save_person(hr, w.member, is_active=False)

    response = api.get("/api/v1/org-chart/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200, "the ETag did not change when people were deactivated"
    document = response.content.decode()
    assert "Leonie" not in document and "Hold" not in document
    pages = ["/", f"/?root={w.product.slug}", f"/teams/{w.product.slug}/", f"/org/chart.svg?root={w.product.slug}"]
    for url in pages:
        body = hr.get(url).content.decode()
        assert "Leonie" not in body and "Hold Er" not in body, url
    admin_list = hr.get(f"/admin/teams/membership/?team__id__exact={w.product.pk}").content.decode()
    assert "lead" in admin_list and "member" in admin_list
    assert ChangeEvent.objects.filter(action="person.deactivated", object_id=w.lead.pk).exists()


def test_renaming_a_person_changes_the_org_charts_etag(world):
    w = world
    hr = Client()
    hr.force_login(w.superuser)
    api = Client(HTTP_AUTHORIZATION=f"Token {w.tokens['hr']}")
    etag = api.get("/api/v1/org-chart/")["ETag"]
    assert api.get("/api/v1/org-chart/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    _admin_save_person(hr, w.lead, first_name="Renamed")

    response = api.get("/api/v1/org-chart/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Renamed" in response.content.decode()
    # saving without a change to the name or the active flag records nothing
    count = ChangeEvent.objects.filter(action="person.updated").count()
    _admin_save_person(hr, w.lead, email="new@example.com")
    assert ChangeEvent.objects.filter(action="person.updated").count() == count
