"""Clicks that load a new page.

A check that runs right after such a click (axe-core, a locator, ``page.url``) races with the
navigation: it may see the old page, or a document that is being replaced under it. Every click
or submit that navigates goes through ``click_and_load``, which returns once the new page has
fired ``load``. Clicks that htmx answers in place do not navigate; wait for their result with
``expect(...)`` instead.
"""

from playwright.sync_api import Locator, Page


def click_and_load(page: Page, target: str | Locator, timeout: float = 30000) -> None:
    """Click ``target`` (a selector or a locator) and wait until the page it loads has loaded."""
    with page.expect_navigation(timeout=timeout):
        if isinstance(target, str):
            page.click(target)
        else:
            target.click()
