"""Anyone signed in: the org chart. Expand a team by keyboard (Tab to it, Enter or Space opens
and closes), search for a role, switch the language to 中文 and see the interface in Chinese.
The script's org chart document has the same teams."""

import re

from django.utils import translation

from tests.e2e.support import JOURNEY_MARKS, OrgChartScript, assert_accessible, expect, screenshot, sign_in
from tests.factories import TeamFactory, role_with_duties

pytestmark = JOURNEY_MARKS


def tab_to(page, locator, *, limit: int = 100) -> None:
    """Press Tab until ``locator`` has the keyboard focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {locator}")


def zh(text: str) -> str:
    """The interface's Simplified Chinese for ``text``: what the page should show."""
    with translation.override("zh-hans"):
        translated = translation.gettext(text)
    assert re.search(r"[\u4e00-\u9fff]", translated), f"the zh_Hans catalogue has no translation of {text!r}"
    return translated


def test_anyone_expands_a_team_by_keyboard_searches_and_reads_the_chart_in_chinese(
    org, open_page, live_server, monkeypatch
):
    # Deeper parts of a big chart load when opened: draw only the five top teams here, so
    # the technology team's new sub-team is one of those parts.
    monkeypatch.setattr("orgstructure.views.CHART_NODE_BUDGET", 5)
    mobile = TeamFactory(name="Mobile apps", slug="mobile-apps", kind="technology", parent=org.teams["technology"])
    ios = role_with_duties(
        "Builds and releases the iOS app.", "Keeps the App Store listing current.", team=mobile, title="iOS developer"
    )
    script = OrgChartScript(live_server.url, org.token)

    page = open_page(viewport={"width": 1600, "height": 900})  # the five top teams side by side
    sign_in(page, "member-technology")  # lands on the chart
    expect(page.locator("h1")).to_have_text("Organisation")
    assert_accessible(page)
    top_names = page.locator(".oc-roots > .oc-item > .oc-box .oc-name")
    assert sorted(top_names.all_inner_texts()) == sorted(team["name"] for team in script.document["teams"])

    # Keyboard: Tab to the product team's core duties, Enter opens them, Space closes them.
    core = page.locator("#team-product details.oc-core")
    tab_to(page, core.locator("summary"))
    expect(core).not_to_have_attribute("open", re.compile(".*"))
    page.keyboard.press("Enter")
    expect(core).to_have_attribute("open", "")
    expect(core.locator("li").first).to_contain_text("Plans, designs and iterates the product")
    page.keyboard.press("Space")
    expect(core).not_to_have_attribute("open", re.compile(".*"))

    # ... and on to the technology team's sub-teams, which load when opened.
    subteams = page.locator("#team-technology + details.oc-sub")
    tab_to(page, subteams.locator("xpath=./summary"))
    expect(subteams.locator("#team-mobile-apps")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(subteams.locator("#team-mobile-apps")).to_be_visible()
    expect(subteams.locator(f"#role-{ios.pk}")).to_contain_text("iOS developer")
    assert_accessible(page)
    screenshot(page, "org-chart", doc="org-chart", doc_full_page=False)

    # Search: several hits give a list; one hit goes straight to it on the chart.
    search = page.get_by_label("Find a team, role or person")
    search.fill("product")
    search.press("Enter")
    results = page.locator("section.oc-results")
    expect(results.get_by_role("link", name="Product team")).to_be_visible()
    expect(results.get_by_role("link", name="Product manager")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Find a team, role or person").fill("iOS")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(rf"\?focus=mobile-apps#role-{ios.pk}$"))
    expect(page.locator(f"#role-{ios.pk}")).to_be_in_viewport()
    expect(page.locator("#team-mobile-apps")).to_have_class(re.compile(r"\boc-focus\b"))
    screenshot(page, "org-chart-search-hit")

    # 中文: the language switch at the top; the page comes back in Chinese.
    page.get_by_label("Language").select_option(label="简体中文")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text(zh("Organisation"))
    nav = page.get_by_role("navigation", name=zh("Main"))
    expect(nav.get_by_role("link", name=zh("My reviews"))).to_be_visible()
    expect(page.get_by_role("button", name=zh("Sign out"))).to_be_visible()
    expect(page.get_by_label(zh("Language"))).to_have_value("zh-hans")
    expect(page.get_by_label(zh("Find a team, role or person"))).to_be_visible()
    expect(page.get_by_role("button", name=zh("Find"), exact=True)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "org-chart-zh")

    # Django's own messages follow too: a suggestion whose "why" is only spaces.
    page.goto(f"/roles/{org.product_manager.pk}/")
    page.get_by_label(zh("Why?")).fill("   ")
    page.locator("#suggest + form").get_by_role("button").click()
    expect(page.locator("#suggest + form .errorlist").first).to_have_text(zh("This field is required."))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert_accessible(page)

    # The script pulled the same organisation, and nothing here changed it.
    script.assert_unchanged()
