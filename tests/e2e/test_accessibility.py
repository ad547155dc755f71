"""Accessibility basics on every portal page, for a visitor, a member and HR: a title, one
main landmark, the page language, a label for every visible form field, and a skip link
that takes the keyboard past the header to the main content."""

from django.urls import reverse

from tests.e2e.support import JOURNEY_MARKS, accessibility_problems, expect, sign_in

pytestmark = JOURNEY_MARKS


def problems_on(page, paths) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        found += [f"{path}: {problem}" for problem in accessibility_problems(page)]
    return found


def test_portal_pages_have_titles_landmarks_and_labelled_fields(org, open_page):
    role, team = org.product_manager, org.teams["product"]
    anonymous = open_page()
    found = problems_on(anonymous, ["/", reverse("login")])

    member = open_page()
    sign_in(member, "member-technology")
    member_pages = [
        "/",
        "/?q=manager",
        reverse("roles:list"),
        reverse("roles:detail", args=[role.pk]),
        reverse("role_history:history", args=[role.pk]),
        reverse("teams:detail", args=[team.slug]),
        reverse("reviews:my_reviews"),
        reverse("reviews:my_suggestions"),
    ]
    found += problems_on(member, member_pages)

    hr = open_page()
    sign_in(hr, "hr")
    hr_pages = [
        reverse("reviews:cycles"),
        reverse("analysis:coverage"),
        reverse("analysis:overlaps"),
        reverse("analysis:dashboard"),
    ]
    found += problems_on(hr, hr_pages)
    assert not found, "\n".join(found)


def test_the_skip_link_takes_the_keyboard_to_the_main_content(org, page):
    sign_in(page, "member-technology", next_url=reverse("roles:list"))
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('#')[0]}#main")
    page.keyboard.press("Tab")  # the first link inside <main>, not the header's
    assert page.evaluate("document.activeElement.closest('main') !== null")
