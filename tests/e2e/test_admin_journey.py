"""HR in the admin: reorder, add and remove duties of a role, save, see the new revision and its
diff; a second tab still holding the old form is refused on save, and nothing is overwritten.
The script's org chart follows."""

from roles.models import Role
from tests.e2e.support import JOURNEY_MARKS, OrgChartScript, admin_sign_in, assert_accessible, expect, screenshot

pytestmark = JOURNEY_MARKS

NEW_DUTY = "Writes the monthly product report for the whole company."


def duty_rows(page):
    """The duty texts in the role admin's inline, top to bottom (rows still to be filled in and
    rows ticked for deletion left out)."""
    texts = []
    for row in page.locator("#duties-group tbody tr.form-row:not(.empty-form)").all():
        text = row.locator("td.field-text input").input_value()
        deleted = row.locator("input[name$='-DELETE']")
        if text and not (deleted.count() and deleted.is_checked()):
            texts.append(text)
    return texts


def test_hr_reorders_adds_and_removes_duties_and_a_stale_tab_is_refused(org, open_page, live_server):
    role = org.product_manager
    first, second, third = [duty.text for duty in role.duties.order_by("position")]
    script = OrgChartScript(live_server.url, org.token)
    change_url = f"/admin/roles/role/{role.pk}/change/"

    tab = open_page()
    admin_sign_in(tab, "hr", next_url=change_url)
    assert duty_rows(tab) == [first, second, third]
    assert_accessible(tab)

    # The same HR manager had the role open in another tab since before this edit.
    old_tab = tab.context.new_page()
    old_tab.goto(change_url)

    tab.locator("#id_duties-0-DELETE").check()  # remove the first duty
    tab.locator("#duties-2 .move-up").click()  # move the third one up with the ↑ button
    tab.locator("#id_duties-3-text").fill(NEW_DUTY)  # add one in the empty row
    assert duty_rows(tab) == [third, second, NEW_DUTY]
    tab.get_by_label("Reason for the change").fill("Agreed in the quarterly planning")
    tab.locator("input[name=_continue]").click()
    expect(tab.locator(".messagelist .success")).to_contain_text("was changed successfully")
    assert duty_rows(tab) == [third, second, NEW_DUTY]

    # The new revision and its diff.
    tab.get_by_role("link", name="History of the duty list").click()
    expect(tab.locator("#result_list tbody tr")).to_have_count(2)
    tab.locator("#result_list tbody tr").first.locator("a").first.click()
    expect(tab.locator("h2").first).to_contain_text("r2")
    diff = tab.locator("table.duty-diff")
    expect(diff.locator("tr.duty-diff-added")).to_contain_text(NEW_DUTY)
    expect(diff.locator("tr.duty-diff-removed")).to_contain_text(first)
    expect(diff.locator("tr.duty-diff-moved")).to_contain_text(third)
    expect(tab.locator("main")).to_contain_text("Agreed in the quarterly planning")
    assert_accessible(tab)
    screenshot(tab, "admin-revision-diff")

    # The old tab's save is refused with who changed it, and nothing it held is saved.
    old_tab.locator("#id_duties-0-text").fill(f"{first} Also owns the roadmap.")
    old_tab.locator("input[name=_continue]").click()
    expect(old_tab.locator(".errorlist")).to_contain_text(
        "was changed by Hana Reyes since you opened it (you saw version 1, it is now 2)"
    )
    assert_accessible(old_tab)
    screenshot(old_tab, "admin-stale-form-refused")
    role.refresh_from_db()
    assert role.version == 2
    assert list(role.duties.order_by("position").values_list("text", flat=True)) == [third, second, NEW_DUTY]
    assert Role.objects.get(pk=role.pk).revisions.count() == 2

    # The script sees the new list, once.
    document = script.pull_change()
    chart_role = next(r for t in document["teams"] if t["slug"] == "product" for r in t["roles"])
    assert chart_role["version"] == 2
    assert [d["text"] for d in chart_role["duties"]] == [third, second, NEW_DUTY]


def test_admin_lists_hr_uses_have_titles_landmarks_and_labels(org, page):
    admin_sign_in(page, "hr")
    for path in ("/admin/", "/admin/roles/role/", "/admin/roles/rolerevision/", "/admin/reviews/reviewcycle/add/"):
        page.goto(path)
        assert_accessible(page)
