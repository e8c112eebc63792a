"""The browser tests' watch on a page sees what a person would not: a page breaking its
Content Security Policy, or a script throwing, is reported, so that an empty list of problems
in the other tests means something."""

from __future__ import annotations

from playwright.sync_api import expect

from .browser import Site, Tabs


def test_content_a_page_is_not_allowed_to_load_is_a_problem(site: Site, tabs: Tabs) -> None:
    tab = tabs.open("en")
    page = tab.page
    page.goto(site.tokened)
    expect(page.locator("form#upload")).to_be_visible()
    assert tab.problems.take() == []

    # What injected markup would try: an inline style and an image from elsewhere.
    page.evaluate(
        """() => document.body.insertAdjacentHTML(
            "beforeend", '<p style="color: red">x</p><img src="http://example.invalid/x.png">')"""
    )
    page.wait_for_timeout(300)
    problems = tab.problems.take()
    refused = [problem for problem in problems if "Content Security Policy" in problem]
    assert any("style-src" in problem for problem in refused), problems
    assert any("img-src" in problem for problem in refused), problems


def test_a_script_that_throws_is_a_problem(site: Site, tabs: Tabs) -> None:
    tab = tabs.open("en")
    page = tab.page
    page.goto(site.tokened)
    page.evaluate("() => { setTimeout(() => { throw new Error('broken on purpose'); }); }")
    page.wait_for_timeout(300)
    assert tab.problems.take() == ["uncaught: broken on purpose"]
