"""Review assignments follow the people who lead: when someone stops leading (membership
removed, lead flag off, person deactivated, team moved away from under them), their pending
and sent-back reviews move to the current lead of the team or the nearest team above, or
become unassigned for HR, in the same transaction; only the current reviewer submits."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from orgstructure.models import ChangeEvent
from reviews import services
from reviews.models import ReviewState, RoleReview
from teams.models import Membership
from teams.services import membership_add, membership_remove, membership_update, person_set_active, team_move
from tests.factories import UserFactory


def review_of(cycle, role):
    return RoleReview.objects.get(cycle=cycle, role=role)


def lead_membership(user, team):
    return Membership.objects.get(user=user, team=team)


def reassignments(review):
    return list(
        ChangeEvent.objects.filter(action="role_review.reassigned", object_id=review.pk)
        .order_by("pk")
        .values_list("data", flat=True)
    )


def test_removing_a_leads_membership_moves_their_reviews_to_the_lead_above(cycle, org):
    review = review_of(cycle, org.pm)
    assert review.reviewer == org.lead

    membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)

    review.refresh_from_db()
    assert review.reviewer == org.boss and review.state == ReviewState.PENDING
    (event,) = reassignments(review)
    assert event["from"] == org.lead.pk and event["to"] == org.boss.pk and event["reason"] == "membership.removed"
    with pytest.raises(PermissionDenied):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING
    services.role_review_submit(review=review, outcome="keep", acting_user=org.boss)


def test_turning_the_lead_flag_off_moves_pending_and_sent_back_reviews(cycle, org):
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    services.role_review_send_back(review=review, note="Look again", acting_user=org.hr)

    membership_update(membership=lead_membership(org.lead, org.product), is_lead=False, acting_user=org.hr)

    review.refresh_from_db()
    assert review.reviewer == org.boss and review.state == ReviewState.SENT_BACK
    assert reassignments(review)[0]["reason"] == "membership.lead_removed"


def test_a_submitted_review_stays_for_hr_to_decide(cycle, org):
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)
    review.refresh_from_db()
    assert review.reviewer == org.lead and review.state == ReviewState.SUBMITTED
    assert reassignments(review) == []


def test_a_co_lead_of_the_same_team_takes_the_review_before_the_lead_above(cycle, org):
    co = UserFactory(username="co-lead")
    membership_add(user=co, team=org.product, is_lead=True, acting_user=org.hr)
    membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)
    assert review_of(cycle, org.pm).reviewer == co


def test_a_lead_who_still_leads_above_keeps_the_review(cycle, org):
    membership_add(user=org.boss, team=org.product, is_lead=True, acting_user=org.hr)
    review = review_of(cycle, org.dev)  # Technology has no lead: the company lead reviews it
    assert review.reviewer == org.boss
    membership_update(membership=lead_membership(org.boss, org.product), is_lead=False, acting_user=org.hr)
    assert review_of(cycle, org.dev).reviewer == org.boss
    assert reassignments(review) == []


def test_deactivating_a_person_moves_their_reviews_or_leaves_them_unassigned(cycle, org):
    person_set_active(user=org.boss, is_active=False, acting_user=org.hr)
    dev = review_of(cycle, org.dev)
    assert dev.reviewer is None  # no lead above Technology any more: HR sees it unassigned
    assert reassignments(dev)[0]["reason"] == "person.deactivated"
    assert ChangeEvent.objects.filter(action="person.deactivated", object_id=org.boss.pk).exists()
    assert review_of(cycle, org.pm).reviewer == org.lead  # untouched

    person_set_active(user=org.lead, is_active=False, acting_user=org.hr)
    assert review_of(cycle, org.pm).reviewer is None


def test_only_hr_deactivates_people(cycle, org):
    with pytest.raises(PermissionDenied):
        person_set_active(user=org.boss, is_active=False, acting_user=org.lead)
    org.boss.refresh_from_db()
    assert org.boss.is_active and review_of(cycle, org.dev).reviewer == org.boss


def test_moving_a_team_away_from_its_lead_above_moves_the_review(cycle, org):
    assert review_of(cycle, org.dev).reviewer == org.boss
    team_move(team=org.tech, new_parent=org.lonely, acting_user=org.hr)
    review = review_of(cycle, org.dev)
    assert review.reviewer is None  # no lead above Technology any more: HR sees it unassigned
    assert reassignments(review)[0]["reason"] == "team.moved"

    membership_add(user=org.member, team=org.lonely, is_lead=True, acting_user=org.hr)
    team_move(team=org.product, new_parent=org.lonely, acting_user=org.hr)
    assert review_of(cycle, org.pm).reviewer == org.lead  # the product lead leads the team itself


def test_a_team_moved_under_another_lead_goes_to_that_lead(cycle, org):
    membership_add(user=org.member, team=org.lonely, is_lead=True, acting_user=org.hr)
    team_move(team=org.tech, new_parent=org.lonely, acting_user=org.hr)
    assert review_of(cycle, org.dev).reviewer == org.member


def test_moving_a_team_within_its_leads_subtree_keeps_the_review(cycle, org):
    team_move(team=org.tech, new_parent=org.product, acting_user=org.hr)  # still below the company
    membership_add(user=org.member, team=org.product, is_lead=False, acting_user=org.hr)
    review = review_of(cycle, org.pm)
    team_move(team=org.product, new_parent=org.company, position=99, acting_user=org.hr)
    assert review_of(cycle, org.pm).reviewer == org.lead and reassignments(review) == []


def test_reviews_of_closed_cycles_are_history_and_stay(cycle, org):
    services.review_cycle_close(cycle=cycle, acting_user=org.hr, force=True)
    membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)
    assert review_of(cycle, org.pm).reviewer == org.lead


def test_submit_rechecks_that_the_reviewer_still_leads(cycle, org):
    review = review_of(cycle, org.pm)
    Membership.objects.filter(user=org.lead).update(is_lead=False)  # behind the services' back
    with pytest.raises(PermissionDenied):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING


def test_hr_gives_a_review_only_to_someone_who_leads(cycle, org):
    review = review_of(cycle, org.solo)
    with pytest.raises(ValidationError):
        services.role_review_assign(review=review, reviewer=org.member, acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer is None


def test_a_review_given_by_hr_follows_its_reviewer_when_they_stop_leading(cycle, org):
    review = review_of(cycle, org.solo)
    services.role_review_assign(review=review, reviewer=org.boss, acting_user=org.hr)
    membership_remove(membership=lead_membership(org.boss, org.company), acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer is None  # the boss leads nothing any more


def test_the_former_lead_can_no_longer_open_or_submit_the_review(client, cycle, org):
    review = review_of(cycle, org.pm)
    api = APIClient()
    api.force_authenticate(org.lead)
    client.force_login(org.lead)
    assert client.get(reverse("reviews:review", args=[review.pk])).status_code == 200
    assert api.get(f"/api/v1/role-reviews/{review.pk}/").status_code == 200
    assert reverse("reviews:review", args=[review.pk]) in client.get(reverse("reviews:my_reviews")).content.decode()

    membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)

    assert client.get(reverse("reviews:review", args=[review.pk])).status_code == 404
    assert client.post(reverse("reviews:review", args=[review.pk]), {"action": "submit"}).status_code == 404
    # the review's link, not the role's title: "PM" can occur in a random CSRF token
    assert reverse("reviews:review", args=[review.pk]) not in client.get(reverse("reviews:my_reviews")).content.decode()
    assert api.get(f"/api/v1/role-reviews/{review.pk}/").status_code == 404
    response = api.post(f"/api/v1/role-reviews/{review.pk}/submit/", {"outcome": "keep"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING and review.reviewer == org.boss


def test_hr_dashboard_lists_the_reviews_left_without_reviewer(client, cycle, org):
    person_set_active(user=org.boss, is_active=False, acting_user=org.hr)
    client.force_login(org.hr)
    page = client.get(reverse("reviews:cycle", args=[cycle.pk])).content.decode()
    unassigned = page.split("Roles without a reviewer", 1)[1].split("<h2", 1)[0]
    assert "Developer" in unassigned and "Solo" in unassigned and "PM" not in unassigned


def test_membership_admin_delete_and_person_admin_deactivate_move_reviews(client, cycle, org):
    hr_admin = org.hr
    hr_admin.is_staff = True
    hr_admin.save()
    hr_admin.user_permissions.add(*Permission.objects.filter(codename__in=["change_user", "view_user"]))
    client.force_login(hr_admin)
    membership = lead_membership(org.lead, org.product)
    response = client.post(reverse("admin:teams_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert review_of(cycle, org.pm).reviewer == org.boss

    change = client.get(reverse("admin:auth_user_change", args=[org.boss.pk]))
    assert change.status_code == 200
    form = change.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k not in ("password", "groups", "user_permissions", "last_login", "date_joined")
    }
    data.update({"username": org.boss.username, "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    data.pop("is_active", None)  # an unticked box: deactivate
    response = client.post(reverse("admin:auth_user_change", args=[org.boss.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    org.boss.refresh_from_db()
    assert not org.boss.is_active
    assert review_of(cycle, org.pm).reviewer is None and review_of(cycle, org.dev).reviewer is None


def test_the_person_admin_shows_a_refusal_instead_of_failing(client, org):
    client.force_login(org.hr)
    url = reverse("admin:auth_user_change", args=[org.hr.pk])
    form = client.get(url).context["adminform"].form
    skip = ("password", "groups", "user_permissions", "last_login", "date_joined", "is_active")
    data = {k: v for k, v in form.initial.items() if v is not None and k not in skip}
    data.update({"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    response = client.post(url, data)
    assert response.status_code == 200 and "cannot deactivate your own account" in response.content.decode()
    org.hr.refresh_from_db()
    assert org.hr.is_active


def test_sending_back_a_review_whose_author_no_longer_leads_gives_it_to_the_current_lead(cycle, org):
    """Submitted while they led, so it stays for HR; but sent back, it needs work from someone
    who leads now, not from the former lead (who, leading another team, could submit again)."""
    membership_add(user=org.lead, team=org.lonely, is_lead=True, acting_user=org.hr)  # leads elsewhere
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)
    assert review_of(cycle, org.pm).reviewer == org.lead  # submitted: stays for HR

    services.role_review_send_back(review=review, note="Look again", acting_user=org.hr)

    review.refresh_from_db()
    assert review.state == ReviewState.SENT_BACK and review.reviewer == org.boss
    assert reassignments(review)[-1]["reason"] == "role_review.sent_back"
    with pytest.raises(PermissionDenied):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.boss)


def test_sending_back_keeps_a_reviewer_hr_chose_who_still_leads(cycle, org):
    review = review_of(cycle, org.solo)
    services.role_review_assign(review=review, reviewer=org.lead, acting_user=org.hr)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    services.role_review_send_back(review=review, note="Look again", acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer == org.lead


def test_a_new_lead_takes_the_reviews_left_without_reviewer_in_their_subtree(cycle, org):
    review = review_of(cycle, org.solo)
    assert review.reviewer is None
    newcomer = UserFactory(username="newcomer")
    membership_add(user=newcomer, team=org.lonely, is_lead=True, acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer == newcomer
    assert reassignments(review)[-1]["reason"] == "membership.lead_added"


def test_the_lead_flag_turned_on_or_a_person_reactivated_takes_unassigned_reviews(cycle, org):
    assert review_of(cycle, org.solo).reviewer is None
    member = UserFactory(username="member-lonely")
    membership = membership_add(user=member, team=org.lonely, acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer is None
    membership_update(membership=membership, is_lead=True, acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer == member

    person_set_active(user=member, is_active=False, acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer is None
    person_set_active(user=member, is_active=True, acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer == member


def test_a_team_without_lead_moved_under_a_lead_gives_them_its_unassigned_reviews(cycle, org):
    assert review_of(cycle, org.solo).reviewer is None
    team_move(team=org.lonely, new_parent=org.company, acting_user=org.hr)
    assert review_of(cycle, org.solo).reviewer == org.boss


def test_a_new_lead_does_not_take_reviews_someone_else_is_working_on(cycle, org):
    co = UserFactory(username="co-lead")
    membership_add(user=co, team=org.product, is_lead=True, acting_user=org.hr)
    assert review_of(cycle, org.pm).reviewer == org.lead


def test_hr_is_told_when_the_author_of_a_submitted_list_no_longer_leads(client, cycle, org):
    """HR may approve it (it was written while they led, and HR decides the content), but not
    unknowingly: the decision page says so, and that sending back goes to the current lead."""
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    client.force_login(org.hr)
    url = reverse("reviews:review", args=[review.pk])
    assert "no longer leads" not in client.get(url).content.decode()
    membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)
    page = client.get(url).content.decode()
    assert "no longer leads" in page and "current lead" in page


@pytest.mark.parametrize("extra_teams", [0, 60])
def test_leadership_changes_take_a_fixed_number_of_queries_whatever_the_tree(cycle, org, extra_teams):
    """The handlers load the tree once (TeamTree), never per team or per level: the same
    counts with 60 more teams, half of them in one long chain."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import TeamFactory

    parent = org.company
    for i in range(extra_teams):
        parent = TeamFactory(slug=f"extra-{i}", parent=parent if i % 2 else org.company)
    newcomer = UserFactory(username="newcomer")
    counts = []
    for call in (
        lambda: membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr),
        lambda: membership_add(user=newcomer, team=org.product, is_lead=True, acting_user=org.hr),
        lambda: team_move(team=org.lonely, new_parent=org.company, acting_user=org.hr),
    ):
        with CaptureQueriesContext(connection) as queries:
            call()
        counts.append(sum(1 for q in queries.captured_queries if "pg_advisory" not in q["sql"]))
    assert counts == QUERY_COUNTS, counts
    assert review_of(cycle, org.pm).reviewer == org.boss  # the newcomer takes only unassigned ones
    assert review_of(cycle, org.solo).reviewer == org.boss


QUERY_COUNTS = [23, 20, 28]  # the same at both sizes (not counting PostgreSQL's advisory lock)


def test_whoever_is_given_reviews_is_told_by_mail(cycle, org, django_capture_on_commit_callbacks):
    """Reviews that move to a lead (someone stopped leading, a new lead arrived, HR chose
    them) reach them by mail, as the reviews of an opening cycle do; nobody else is mailed."""
    from django.core import mail

    newcomer = UserFactory(username="newcomer")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(membership=lead_membership(org.lead, org.product), acting_user=org.hr)
    assert [m.to for m in mail.outbox] == [[org.boss.email]] and "PM" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        membership_add(user=newcomer, team=org.lonely, is_lead=True, acting_user=org.hr)
    assert mail.outbox[-1].to == [newcomer.email] and "Solo" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        services.role_review_assign(review=review_of(cycle, org.pm), reviewer=newcomer, acting_user=org.hr)
    assert mail.outbox[-1].to == [newcomer.email] and "PM" in mail.outbox[-1].body
    assert len(mail.outbox) == 3


def test_archiving_the_team_someone_leads_moves_the_reviews_hr_gave_them(cycle, org):
    """A lead of an archived team leads nothing (leads_any_team): archiving is a way of
    stopping to lead too, and unarchiving a way of starting again."""
    from teams.services import team_archive, team_unarchive
    from tests.factories import TeamFactory

    side = TeamFactory(slug="side")
    side_lead = UserFactory(username="side-lead")
    membership_add(user=side_lead, team=side, is_lead=True, acting_user=org.hr)
    review = review_of(cycle, org.solo)
    services.role_review_assign(review=review, reviewer=side_lead, acting_user=org.hr)

    team_archive(team=side, acting_user=org.hr)

    assert review_of(cycle, org.solo).reviewer is None
    assert reassignments(review)[-1]["reason"] == "team.archived"
    team_unarchive(team=side, acting_user=org.hr)
    with pytest.raises(PermissionDenied):
        services.role_review_submit(review=review, outcome="keep", acting_user=side_lead)
