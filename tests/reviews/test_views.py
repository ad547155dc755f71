import datetime as dt

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import CycleState, ReviewState, RoleReview, Suggestion, SuggestionState
from roles.services import role_duties_replace
from teams.services import membership_add
from tests.factories import TeamFactory, UserFactory, role_with_duties
from tests.reviews.conftest import duties_of


def review_of(cycle, role):
    return RoleReview.objects.get(cycle=cycle, role=role)


def formset_post(rows, *, outcome="revise", version=1, comment=""):
    data = {
        "action": "submit",
        "outcome": outcome,
        "comment": comment,
        "expected_version": str(version),
        "duties-TOTAL_FORMS": str(len(rows)),
        "duties-INITIAL_FORMS": "0",
        "duties-MIN_NUM_FORMS": "0",
        "duties-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"duties-{i}-{key}"] = value
    return data


@pytest.mark.parametrize("name", ["reviews:my_reviews", "reviews:my_suggestions", "reviews:cycles", "roles:list"])
def test_pages_need_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lead_reviews_with_the_form_keep_and_revise(client, org, cycle):
    client.force_login(org.lead)
    page = client.get(reverse("reviews:my_reviews")).content.decode()
    assert "PM" in page and "Developer" not in page  # the developer role is the company lead's
    review = review_of(cycle, org.pm)
    form = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    assert "<title>" in form and 'id="main"' in form
    assert "Write the PRD" in form and 'name="duties-0-text"' in form and "<label" in form

    ids = {d.text: d.pk for d in org.pm.duties.all()}
    rows = [
        {"id": ids["Monitor metrics"], "position": "1", "text": "Monitor metrics weekly"},  # reworded, moved up
        {"id": ids["Write the PRD"], "position": "2", "text": "Write the PRD"},
        {"id": ids["Coordinate launches"], "position": "3", "text": "Coordinate launches", "DELETE": "on"},
        {"position": "4", "text": "Talk to customers"},  # added
        {"position": "", "text": ""},  # empty extra row
    ]
    response = client.post(reverse("reviews:review", args=[review.pk]), formset_post(rows))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED and review.outcome == "revise"
    assert [d["text"] for d in review.proposed_duties] == [
        "Monitor metrics weekly",
        "Write the PRD",
        "Talk to customers",
    ]
    assert review.proposed_duties[0]["id"] == ids["Monitor metrics"]


def test_review_form_shows_stale_version_as_a_message(client, org, cycle):
    review = review_of(cycle, org.pm)
    client.force_login(org.lead)
    response = client.post(reverse("reviews:review", args=[review.pk]), formset_post([], outcome="keep", version=0))
    assert response.status_code == 200
    assert "changed while you were reviewing it" in response.content.decode()
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING


def test_other_peoples_reviews_are_not_found(client, org, cycle):
    client.force_login(org.member)
    review = review_of(cycle, org.pm)
    assert client.get(reverse("reviews:review", args=[review.pk])).status_code == 404
    response = client.post(reverse("reviews:review", args=[review.pk]), formset_post([], outcome="keep"))
    assert response.status_code == 404
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING


def test_lead_cannot_decide_a_review(client, org, cycle):
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    client.force_login(org.lead)
    response = client.post(reverse("reviews:review", args=[review.pk]), {"action": "approve", "note": ""})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED


def test_hr_decision_screen_shows_an_escaped_diff_and_refuses_stale(client, org, cycle):
    review = review_of(cycle, org.pm)
    services.role_review_submit(
        review=review,
        outcome="revise",
        duties=[{"text": "<script>alert(1)</script>"}, {"text": "Write the PRD"}],
        acting_user=org.lead,
    )
    client.force_login(org.hr)
    page = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "added" in page and "removed" in page

    role_duties_replace(role=org.pm, duties=[{"text": "Changed meanwhile"}], expected_version=1, acting_user=org.hr)
    response = client.post(reverse("reviews:review", args=[review.pk]), {"action": "approve", "note": ""})
    assert response.status_code == 200 and "apply it onto the current list" in response.content.decode()
    assert duties_of(org.pm) == ["Changed meanwhile"]
    response = client.post(
        reverse("reviews:review", args=[review.pk]), {"action": "approve", "note": "", "onto_current": "on"}
    )
    assert response.status_code == 302
    # merged with HR's change: "Write the PRD" was removed since, the lead's new duty is added
    assert duties_of(org.pm) == ["Changed meanwhile", "<script>alert(1)</script>"]


def test_hr_sends_back_with_a_note(client, org, cycle, mailoutbox, django_capture_on_commit_callbacks):
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    client.force_login(org.hr)
    response = client.post(reverse("reviews:review", args=[review.pk]), {"action": "send_back", "note": ""})
    assert response.status_code == 200 and "Write a note" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:review", args=[review.pk]), {"action": "send_back", "note": "Be bolder"})
    review.refresh_from_db()
    assert review.state == ReviewState.SENT_BACK
    client.force_login(org.lead)
    assert "Be bolder" in client.get(reverse("reviews:my_reviews")).content.decode()


def test_member_suggests_follows_and_withdraws(client, org):
    client.force_login(org.member)
    page = client.get(reverse("roles:detail", args=[org.pm.pk])).content.decode()
    assert "Suggest an improvement" in page and 'for="id_rationale"' in page
    response = client.post(
        reverse("roles:detail", args=[org.pm.pk]),
        {"kind": "add", "proposed_text": "Talk to customers", "rationale": "We lose touch"},
    )
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reviews:suggestion", args=[suggestion.pk])
    assert suggestion.author == org.member and suggestion.base_version == 1
    assert "Talk to customers" in client.get(reverse("reviews:my_suggestions")).content.decode()
    client.post(reverse("reviews:suggestion", args=[suggestion.pk]), {"action": "withdraw"})
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.WITHDRAWN


def test_suggestion_form_errors_are_shown_on_the_form(client, org):
    client.force_login(org.member)
    response = client.post(reverse("roles:detail", args=[org.pm.pk]), {"kind": "change", "rationale": "r"})
    assert response.status_code == 200
    assert "Choose one of this role&#x27;s duties." in response.content.decode()
    assert Suggestion.objects.count() == 0


def test_who_sees_a_suggestion(client, org):
    suggestion = services.suggestion_create(role=org.pm, kind="other", rationale="Secret idea", acting_user=org.member)
    url = reverse("reviews:suggestion", args=[suggestion.pk])
    expectations = {org.member: 200, org.lead: 200, org.boss: 200, org.hr: 200, org.outsider: 404}
    for user, status in expectations.items():
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.force_login(org.outsider)
    assert "Secret idea" not in client.get(reverse("reviews:my_suggestions")).content.decode()
    # the lead of another team does not see it
    other_lead = UserFactory(username="other-lead")
    membership_add(user=other_lead, team=org.lonely, is_lead=True, acting_user=None)
    client.force_login(other_lead)
    assert client.get(url).status_code == 404
    # nobody but HR decides, nobody but the author withdraws
    client.force_login(org.lead)
    assert client.post(url, {"action": "accept", "note": ""}).status_code == 403
    assert client.post(url, {"action": "withdraw"}).status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.OPEN


def test_hr_accepts_and_rejects_on_the_decision_screen(client, org, mailoutbox, django_capture_on_commit_callbacks):
    s1 = services.suggestion_create(
        role=org.pm, kind="add", proposed_text="Talk to customers", rationale="r", acting_user=org.member
    )
    s2 = services.suggestion_create(role=org.dev, kind="other", rationale="r", acting_user=org.member)
    client.force_login(org.hr)
    page = client.get(reverse("reviews:suggestion", args=[s1.pk])).content.decode()
    assert "<ins>Talk to customers</ins>" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:suggestion", args=[s1.pk]), {"action": "accept", "note": "Yes"})
        client.post(reverse("reviews:suggestion", args=[s2.pk]), {"action": "reject", "note": "Not now"})
    s1.refresh_from_db()
    s2.refresh_from_db()
    assert s1.state == SuggestionState.ACCEPTED and s1.applied_revision.number == 2
    assert s2.state == SuggestionState.REJECTED and s2.decision_note == "Not now"
    assert len(mailoutbox) == 2
    client.force_login(org.member)
    page = client.get(reverse("reviews:my_suggestions")).content.decode()
    assert "Not now" in page and "Accepted" in page
    # deciding again is refused with a message, nothing changes
    client.force_login(org.hr)
    response = client.post(reverse("reviews:suggestion", args=[s2.pk]), {"action": "accept", "note": ""})
    assert response.status_code == 403
    s2.refresh_from_db()
    assert s2.state == SuggestionState.REJECTED


def test_cycle_dashboard_is_for_hr(client, org, cycle):
    for user in (org.lead, org.member):
        client.force_login(user)
        assert client.get(reverse("reviews:cycles")).status_code == 403
        assert client.post(reverse("reviews:cycle", args=[cycle.pk]), {"action": "cancel"}).status_code == 403
    cycle.refresh_from_db()
    assert cycle.state == CycleState.OPEN


def test_cycle_dashboard_shows_progress_overdue_and_unassigned(client, org, cycle):
    services.role_review_submit(review=review_of(cycle, org.pm), outcome="keep", acting_user=org.lead)
    services.suggestion_create(role=org.dev, kind="other", rationale="Pair more", acting_user=org.member)
    client.force_login(org.hr)
    page = client.get(reverse("reviews:cycle", args=[cycle.pk])).content.decode()
    assert "Product" in page and "Technology" in page and "Lonely" in page
    assert "Solo" in page  # no lead anywhere: listed for HR
    assert "Something else" in page  # the open suggestion on the developer role joined the cycle
    assert "Overdue reviews" in page and "Developer" in page  # due 2026-01-31, long past


def test_cycle_close_from_the_dashboard(client, org, cycle):
    client.force_login(org.hr)
    response = client.post(reverse("reviews:cycle", args=[cycle.pk]), {"action": "close"}, follow=True)
    assert "not decided yet" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.state == CycleState.OPEN
    client.post(reverse("reviews:cycle", args=[cycle.pk]), {"action": "close", "force": "on"})
    cycle.refresh_from_db()
    assert cycle.state == CycleState.CLOSED
    response = client.post(reverse("reviews:cycle", args=[cycle.pk]), {"action": "open"}, follow=True)
    assert "Only a draft cycle can be opened" in response.content.decode()


def test_pages_in_chinese(client, org, cycle):
    client.force_login(org.lead)
    response = client.get(reverse("reviews:my_reviews"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode()


def _grow(org, n):
    """n more teams, each with a lead, a member and a role, and a suggestion by the member."""
    for _i in range(n):
        team = TeamFactory(parent=org.company)
        lead = UserFactory()
        membership_add(user=lead, team=team, is_lead=True, acting_user=None)
        role = role_with_duties("A", "B", team=team)
        services.suggestion_create(role=role, kind="other", rationale="r", acting_user=org.member)


@pytest.mark.parametrize("extra", [2, 12])
def test_list_pages_query_counts_do_not_grow(client, org, extra, django_assert_max_num_queries):
    _grow(org, extra)
    cycle = services.review_cycle_open(
        cycle=services.review_cycle_create(
            name="Q", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 2), acting_user=org.hr
        ),
        acting_user=org.hr,
    )
    client.force_login(org.hr)
    for url in (
        reverse("reviews:cycle", args=[cycle.pk]),
        reverse("reviews:cycles"),
        reverse("reviews:my_suggestions"),
        reverse("roles:list"),
    ):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200
    client.force_login(org.boss)  # reviews the developer role and every new team's... no: each has a lead
    with django_assert_max_num_queries(10):
        assert client.get(reverse("reviews:my_reviews")).status_code == 200
    client.force_login(org.member)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("reviews:my_suggestions")).status_code == 200


def test_keep_with_an_edited_list_is_refused_and_the_page_keeps_what_was_typed(client, org, cycle):
    review = review_of(cycle, org.pm)
    client.force_login(org.lead)
    page = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    # the list becomes read-only on Keep through a static script, not an inline one
    assert 'src="/static/js/review-form.js"' in page and "<script>" not in page
    assert "data-review-form" in page and "data-revise-list" in page
    ids = {d.text: d.pk for d in org.pm.duties.all()}
    rows = [
        {"id": ids["Write the PRD"], "position": "1", "text": "Write the PRD and the roadmap"},
        {"id": ids["Coordinate launches"], "position": "2", "text": "Coordinate launches"},
        {"id": ids["Monitor metrics"], "position": "3", "text": "Monitor metrics"},
    ]
    response = client.post(reverse("reviews:review", args=[review.pk]), formset_post(rows, outcome="keep"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "You edited the list: choose Revise, or undo the edits." in body
    assert 'value="Write the PRD and the roadmap"' in body  # what they typed is still there
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING and review.outcome == ""
    # an untouched list is a plain keep
    rows[0]["text"] = "Write the PRD"
    response = client.post(reverse("reviews:review", args=[review.pk]), formset_post(rows, outcome="keep"))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED and review.outcome == "keep"


def test_stale_decision_page_shows_conflicts_and_applies_nothing_until_hr_chooses(client, org, cycle):
    ids = {d.text: d.pk for d in org.pm.duties.all()}
    prd, metrics = ids["Write the PRD"], ids["Monitor metrics"]
    review = review_of(cycle, org.pm)
    services.role_review_submit(
        review=review,
        outcome="revise",
        duties=[
            {"id": prd, "text": "Write the spec"},
            {"id": ids["Coordinate launches"], "text": "Coordinate launches"},
            {"id": metrics, "text": "Monitor metrics weekly"},
        ],
        acting_user=org.lead,
    )
    role_duties_replace(
        role=org.pm,
        duties=[
            {"id": prd, "text": "Write the PRD & <b>roadmap</b>"},
            {"text": "Coordinate launches"},
            {"text": "Monitor metrics"},
            {"text": "Hire"},
        ],
        expected_version=1,
        acting_user=org.hr,
    )
    client.force_login(org.hr)
    url = reverse("reviews:review", args=[review.pk])
    page = client.get(url).content.decode()
    # the conflicting duty, with its three versions (escaped) and a choice
    assert f'name="resolve-{prd}"' in page and f'name="resolve-{metrics}"' not in page
    assert "Write the PRD &amp; &lt;b&gt;roadmap&lt;/b&gt;" in page and "Write the spec" in page
    # the preview is what applying does: HR's addition stays, the lead's rewording of metrics is in
    assert "Hire" in page and "Monitor metrics weekly" in page

    response = client.post(url, {"action": "approve", "note": "", "onto_current": "on", "expected_version": "2"})
    assert response.status_code == 200 and "Nothing was applied" in response.content.decode()
    assert duties_of(org.pm) == ["Write the PRD & <b>roadmap</b>", "Coordinate launches", "Monitor metrics", "Hire"]

    response = client.post(
        url,
        {
            "action": "approve",
            "note": "",
            "onto_current": "on",
            "expected_version": "2",
            f"resolve-{prd}": "text",
            f"resolve-{prd}-text": "Write the spec and the roadmap",
        },
    )
    assert response.status_code == 302
    assert duties_of(org.pm) == [
        "Write the spec and the roadmap",
        "Coordinate launches",
        "Monitor metrics weekly",
        "Hire",
    ]
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED and review.applied_revision.number == 3


def test_stale_change_suggestion_page_shows_the_conflict_and_accepting_needs_a_choice(client, org):
    duty = org.pm.duties.get(text="Write the PRD")
    suggestion = services.suggestion_create(
        role=org.pm, kind="change", duty=duty, proposed_text="Write the spec", rationale="r", acting_user=org.member
    )
    role_duties_replace(
        role=org.pm,
        duties=[{"id": duty.pk, "text": "Write the PRD with design"}, {"text": "Coordinate launches"}],
        expected_version=1,
        acting_user=org.hr,
    )
    client.force_login(org.hr)
    url = reverse("reviews:suggestion", args=[suggestion.pk])
    page = client.get(url).content.decode()
    assert f'name="resolve-{duty.pk}"' in page and "Write the PRD with design" in page
    response = client.post(url, {"action": "accept", "note": "", "onto_current": "on", "expected_version": "2"})
    assert response.status_code == 200 and "Nothing was applied" in response.content.decode()
    assert duties_of(org.pm) == ["Write the PRD with design", "Coordinate launches"]
    response = client.post(
        url,
        {
            "action": "accept",
            "note": "",
            "onto_current": "on",
            "expected_version": "2",
            f"resolve-{duty.pk}": "current",
        },
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.ACCEPTED and duties_of(org.pm) == [
        "Write the PRD with design",
        "Coordinate launches",
    ]


def test_a_sent_back_proposal_is_carried_over_onto_changes_made_since(client, org, cycle):
    ids = {d.text: d.pk for d in org.pm.duties.all()}
    review = review_of(cycle, org.pm)
    services.role_review_submit(
        review=review,
        outcome="revise",
        duties=[
            {"id": ids["Write the PRD"], "text": "Write the spec"},
            {"id": ids["Monitor metrics"], "text": "Monitor metrics"},
        ],
        acting_user=org.lead,
    )
    services.role_review_send_back(review=review, note="Shorter", acting_user=org.hr)
    role_duties_replace(
        role=org.pm,
        duties=[
            {"text": "Write the PRD"},
            {"text": "Coordinate launches"},
            {"text": "Monitor metrics"},
            {"text": "Hire"},
        ],
        expected_version=1,
        acting_user=org.hr,
    )
    client.force_login(org.lead)
    page = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    # the lead's rewording and removal, and HR's new duty (not silently dropped by a resubmission)
    assert 'value="Write the spec"' in page and 'value="Hire"' in page and 'value="Coordinate launches"' not in page
