"""Under the Content-Security-Policy (no inline script or style) the pages still work in a real
browser: the org chart's sub-trees open, the admin's ↑ ↓ buttons and tree list show, Swagger UI
renders the API reference. ``open_page`` fails the test on any CSP violation the browser reports."""

from tests.e2e.support import JOURNEY_MARKS, expect, sign_in

pytestmark = JOURNEY_MARKS


def test_swagger_ui_and_the_admin_work_under_the_policy(org, page):
    sign_in(page, "hr", next_url="/api/docs/")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("orgstructure API")
    expect(page.locator("#swagger-ui .opblock-tag").first).to_be_visible()
    response = page.request.get("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]

    page.goto("/admin/teams/team/")
    expect(page.locator("[class^=tree-depth-]").first).to_be_visible()
    sheets = page.evaluate("Array.from(document.styleSheets, s => s.href || '')")
    assert any(href.endswith("css/admin-extra.css") for href in sheets), sheets
    page.goto(f"/admin/roles/role/{org.product_manager.pk}/change/")
    expect(page.locator("#duties-group .move-row").first).to_be_visible()


def test_the_org_chart_opens_sub_trees_under_the_policy(org, page):
    sign_in(page, "member-technology")
    expect(page.locator(".oc-box").first).to_be_visible()
    assert "no-store" in page.request.get("/").headers["cache-control"]
