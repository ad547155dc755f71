"""An improvement suggestion: a member of the technology team suggests a duty for the product
team's role; HR accepts it; the member sees it accepted under "My suggestions", and the role's
history links to it. The script's org chart gets the new duty."""

from reviews.models import Suggestion
from tests.e2e.support import JOURNEY_MARKS, OrgChartScript, assert_accessible, expect, screenshot, sign_in

pytestmark = JOURNEY_MARKS

SUGGESTED = "Shares the release notes with customer service before each launch."


def test_a_member_suggests_hr_accepts_and_the_role_history_links_to_it(org, open_page, live_server):
    role = org.product_manager
    first, second, third = [duty.text for duty in role.duties.order_by("position")]
    script = OrgChartScript(live_server.url, org.token)

    # The member opens another team's role from "Roles" and suggests a duty.
    member = open_page()
    sign_in(member, "member-technology", next_url="/roles/")
    assert_accessible(member)
    member.get_by_role("link", name="Product manager").click()
    expect(member.locator("h1")).to_have_text("Product manager")
    member.get_by_label("What do you suggest?").select_option(label="Add a duty")
    member.get_by_label("Proposed text").fill(SUGGESTED)
    member.get_by_label("Position").fill("3")
    member.get_by_label("Why?").fill("Customer service learns about new features from users today.")
    assert_accessible(member)
    member.get_by_role("button", name="Send the suggestion").click()
    expect(member.locator("ul.messages")).to_contain_text("Your suggestion was sent to HR")
    suggestion = Suggestion.objects.get()
    expect(member.locator("h1")).to_have_text(f"Suggestion #{suggestion.pk} on Product manager")
    assert_accessible(member)
    script.pull()
    assert [d["text"] for d in script.role("product-manager")["duties"]] == [first, second, third]  # not yet

    # HR finds it among the open suggestions, reads the change and accepts it.
    hr = open_page()
    sign_in(hr, "hr", next_url="/suggestions/")
    waiting = hr.locator("h2", has_text="Open suggestions waiting for a decision")
    open_row = waiting.locator("xpath=following-sibling::table[1]").locator("tbody tr").filter(has_text=SUGGESTED)
    open_row.get_by_role("link", name=str(suggestion.pk)).click()
    expect(hr.locator("table.diff tr.op-added")).to_contain_text(SUGGESTED)
    assert_accessible(hr)
    screenshot(hr, "hr-suggestion-decision")
    hr.get_by_label("Note", exact=True).fill("Good idea: agreed with the product lead.")
    hr.get_by_role("button", name="Accept").click()
    expect(hr.locator("ul.messages")).to_contain_text("The suggestion was accepted")
    expect(hr.locator("dl.facts")).to_contain_text("revision 2")

    # The member sees it accepted, and the role's history links to it.
    member.get_by_role("navigation", name="Main").get_by_role("link", name="My suggestions").click()
    mine = member.locator("table.list tbody tr").filter(has_text=SUGGESTED)
    expect(mine).to_contain_text("Accepted")
    expect(mine).to_contain_text("Good idea: agreed with the product lead.")
    assert_accessible(member)
    member.goto(f"/roles/{role.pk}/")
    expect(member.locator("ol.duties li")).to_contain_text([first, second, SUGGESTED, third])
    history = member.get_by_role("listitem").filter(has_text="Revision 2")
    expect(history).to_contain_text("Suggestion")
    assert_accessible(member)
    screenshot(member, "role-page-with-history", doc="role-page-with-history")
    history.get_by_role("link", name=f"Suggestion #{suggestion.pk}").click()
    expect(member.locator("h1")).to_have_text(f"Suggestion #{suggestion.pk} on Product manager")
    expect(member.locator("dl.facts")).to_contain_text("Accepted")

    # The script gets the new duty where the member suggested it.
    script.pull_change()
    assert script.role("product-manager")["version"] == 2
    assert [d["text"] for d in script.role("product-manager")["duties"]] == [first, second, SUGGESTED, third]
