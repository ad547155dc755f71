from reviews.models import CycleState, ReviewCycle, ReviewSchedule


def test_hr_plans_and_opens_a_cycle_in_the_admin(client, org):
    client.force_login(org.hr)
    response = client.post(
        "/admin/reviews/reviewcycle/add/",
        {"name": "Q3", "starts_on": "2026-07-01", "due_on": "2026-07-15", "teams": [org.product.pk], "_save": "Save"},
    )
    assert response.status_code == 302
    cycle = ReviewCycle.objects.get(name="Q3")
    assert cycle.state == CycleState.DRAFT and list(cycle.teams.all()) == [org.product]
    client.post("/admin/reviews/reviewcycle/", {"action": "open_cycles", "_selected_action": [cycle.pk]}, follow=True)
    cycle.refresh_from_db()
    assert cycle.state == CycleState.OPEN and cycle.reviews.count() == 1
    # a refusal is a message, and nothing changes
    response = client.post(
        "/admin/reviews/reviewcycle/", {"action": "close_cycles", "_selected_action": [cycle.pk]}, follow=True
    )
    assert "not decided yet" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.state == CycleState.OPEN


def test_admin_refusals_are_form_errors(client, org):
    client.force_login(org.hr)
    response = client.post(
        "/admin/reviews/reviewcycle/add/", {"name": "Bad", "starts_on": "2026-02-01", "due_on": "2026-01-01"}
    )
    assert response.status_code == 200 and "cannot be due before it starts" in response.content.decode()
    assert not ReviewCycle.objects.exists()


def test_hr_creates_a_schedule_in_the_admin(client, org):
    client.force_login(org.hr)
    response = client.post(
        "/admin/reviews/reviewschedule/add/",
        {
            "name": "Quarterly",
            "starts_on": "2026-01-01",
            "every_months": "3",
            "cycle_length_days": "14",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert ReviewSchedule.objects.get().next_run_on.isoformat() == "2026-01-01"


def test_leads_cannot_use_the_reviews_admin(client, org):
    client.force_login(org.lead)
    assert client.get("/admin/reviews/reviewcycle/").status_code == 302  # not staff: to the login page
