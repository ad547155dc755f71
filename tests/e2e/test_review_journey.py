"""A duty review: HR opens a review cycle; the product lead finds the review in "My reviews",
revises the list and submits it; HR approves, and the role (and the script's org chart) shows
the new list."""

import datetime as dt

from reviews.models import ReviewCycle
from tests.e2e.support import (
    JOURNEY_MARKS,
    OrgChartScript,
    admin_sign_in,
    assert_accessible,
    chart_role,
    expect,
    screenshot,
    sign_in,
)

pytestmark = JOURNEY_MARKS


def duty_texts(document):
    return [duty["text"] for duty in chart_role(document, "product-manager")["duties"]]


REWORDED = "Coordinates design, development and testing; agrees the launch date with operations."
ADDED = "Reviews the product's metrics with the data team every month."


def test_hr_opens_a_cycle_the_lead_revises_and_hr_approves(org, open_page, live_server):
    role = org.product_manager
    first, second, third = [duty.text for duty in role.duties.order_by("position")]
    script = OrgChartScript(live_server.url, org.token)
    today = dt.date.today()

    # HR plans the cycle in the admin (the whole organisation) and opens it on its dashboard.
    hr = open_page()
    admin_sign_in(hr, "hr", next_url="/admin/reviews/reviewcycle/add/")
    hr.get_by_label("Name").fill(f"Duty review {today:%Y}")
    hr.get_by_label("Starts on").fill(f"{today:%Y-%m-%d}")
    hr.get_by_label("Due on").fill(f"{today + dt.timedelta(days=30):%Y-%m-%d}")
    hr.locator("input[name=_save]").click()
    expect(hr.locator(".messagelist .success")).to_be_visible()
    hr.get_by_role("link", name="Dashboard").click()
    assert_accessible(hr)
    hr.get_by_role("button", name="Open the cycle").click()
    expect(hr.locator("ul.messages")).to_contain_text("The cycle is open")
    cycle = ReviewCycle.objects.get()
    assert cycle.state == "open"
    assert duty_texts(script.pull()) == [first, second, third]  # opening a cycle changes no duty list

    # The lead finds the review in "My reviews" and revises the list.
    lead = open_page()
    sign_in(lead, "lead-product", next_url="/roles/")
    lead.get_by_role("navigation", name="Main").get_by_role("link", name="My reviews").click()
    assert_accessible(lead)
    row = lead.locator("table.list tbody tr").filter(has_text="Product manager")
    expect(row).to_contain_text("Pending")
    row.get_by_role("link", name="Product manager").click()
    expect(lead.locator("h1")).to_have_text("Review of Product manager")
    # "Keep" is chosen at first: the list is read-only until the lead chooses "Revise".
    expect(lead.get_by_label("Keep as it is")).to_be_checked()
    expect(lead.get_by_label("Duty 2", exact=True)).not_to_be_editable()
    lead.get_by_label("Revise", exact=True).check()
    expect(lead.get_by_label("Duty 2", exact=True)).to_be_editable()
    lead.get_by_label("Remove").first.check()  # the first duty goes
    lead.get_by_label("Duty 2", exact=True).fill(REWORDED)
    lead.locator("#id_duties-1-position").fill("2")
    lead.locator("#id_duties-2-position").fill("1")  # the third duty moves to the top
    lead.get_by_label("Duty 4", exact=True).fill(ADDED)
    lead.locator("#id_duties-3-position").fill("3")
    lead.get_by_label("Comment").fill("The launch date is agreed with operations now; monthly metrics review added.")
    assert_accessible(lead)
    lead.get_by_role("heading", name="Your review").scroll_into_view_if_needed()
    screenshot(lead, "lead-review-form", doc="lead-review-form")
    # Choosing "Keep" after editing locks the list; submitting it is refused and keeps the edits.
    lead.get_by_label("Keep as it is").check()
    expect(lead.get_by_label("Duty 2", exact=True)).not_to_be_editable()
    lead.get_by_role("button", name="Submit review").click()
    expect(lead.get_by_role("alert")).to_contain_text("You edited the list: choose Revise, or undo the edits.")
    expect(lead.get_by_label("Duty 2", exact=True)).to_have_value(REWORDED)
    lead.get_by_label("Revise", exact=True).check()
    lead.get_by_role("button", name="Submit review").click()
    expect(lead.locator("ul.messages")).to_contain_text("Your review was submitted")
    expect(lead.locator("table.list tbody tr").filter(has_text="Product manager")).to_contain_text("Submitted")
    assert duty_texts(script.pull()) == [first, second, third]  # nothing changes before HR approves

    # HR sees it waiting on the dashboard, reads the proposed change and approves it.
    hr.reload()
    waiting = hr.locator("h2", has_text="Waiting for your decision").locator("xpath=following-sibling::table[1]")
    waiting.get_by_role("link", name="Product manager").click()
    proposal = hr.locator("table.diff").first
    expect(proposal.locator("tr.op-removed").filter(has_text=first)).to_have_count(1)
    expect(proposal.locator("ins").filter(has_text=REWORDED)).to_have_count(1)
    expect(proposal.locator("ins").filter(has_text=ADDED)).to_have_count(1)
    assert_accessible(hr)
    screenshot(hr, "hr-review-decision")
    hr.get_by_label("Note", exact=True).fill("Agreed.")
    hr.get_by_role("button", name="Approve").click()
    expect(hr.locator("ul.messages")).to_contain_text("The review was approved")

    # The role's page shows the new list and the revision the review made.
    hr.goto(f"/roles/{role.pk}/")
    expect(hr.locator("ol.duties li")).to_contain_text([third, REWORDED, ADDED])
    expect(hr.locator("main")).to_contain_text("version 2")
    revision = hr.get_by_role("listitem").filter(has_text="Revision 2")
    expect(revision).to_contain_text("Review")
    expect(revision.get_by_role("link", name="Review of Product manager")).to_be_visible()
    assert_accessible(hr)

    # The lead sees the review approved; the script sees the new list.
    lead.reload()
    expect(lead.locator("table.list tbody tr").filter(has_text="Product manager")).to_contain_text("Approved")
    script.pull_change()
    assert script.role("product-manager")["version"] == 2
    assert duty_texts(script.document) == [third, REWORDED, ADDED]
