"""Record lists as cards on a phone (docs/tables.md): the one check of them, used by the tests of
every page that has such a list.

Below 480 px a ``table--cards`` shows each row as a card: every value under its column's name
(the cell's ``data-label``, which must be the column's own heading and be shown), the row's
links and buttons on the screen, and nothing scrolling sideways.
"""

from playwright.sync_api import Page

PHONE = {"width": 390, "height": 844}

# Each card's names must be its table's column headings, and nothing of a card may lie beyond
# the screen: a label that differs from its heading, a figure or a button out of sight, is a
# problem.
CARDS = """() => [...document.querySelectorAll('main table.table--cards')].flatMap(t => {
  const wrap = t.closest('.table-wrap');
  const heads = [...t.querySelectorAll('thead th')].map(th => th.textContent.trim());
  const name = t.dataset.testid || (t.querySelector('caption') || {}).textContent || '?';
  const problems = [];
  if (wrap && wrap.scrollWidth > wrap.clientWidth) problems.push(`${name} scrolls sideways`);
  t.querySelectorAll('tbody tr').forEach(tr => {
    let column = 0;  // a cell's column: a cell spanning two columns moves the next one by two
    [...tr.children].forEach(cell => {
      const i = column;
      column += cell.colSpan || 1;
      const box = cell.getBoundingClientRect();
      if (box.width && box.right > window.innerWidth + 1) problems.push(`${name}: ${cell.textContent.trim()} beyond the screen`);
      const label = cell.dataset.label;
      if (label !== undefined && label !== heads[i]) problems.push(`${name}: "${label}" under "${heads[i]}"`);
      const before = label === undefined ? null : getComputedStyle(cell, '::before');
      if (before && before.content !== JSON.stringify(label)) problems.push(`${name}: ${label} not shown`);
      // The name floats in the cell's left padding: a page's own narrower padding would lay it
      // beyond the card's left edge, out of sight.
      if (before && box.width && parseFloat(getComputedStyle(cell).paddingLeft) < parseFloat(before.width))
        problems.push(`${name}: ${label} has no room beside its value`);
    });
    tr.querySelectorAll('a, button, input:not([type=hidden]), select, summary, .badge').forEach(b => {
      const r = b.getBoundingClientRect();
      if (r.width && (r.left < 0 || r.right > window.innerWidth)) problems.push(`${name}: ${b.textContent.trim() || b.name} off screen`);
    });
  });
  return problems;
})"""


def card_problems(page: Page) -> list[str]:
    """What is wrong with the cards of the page as it is shown now (empty: nothing)."""
    return page.evaluate(CARDS)


# A figure table folded on a phone (details[data-fold-on-phone]), or folded everywhere under its
# chart ("Show the table", details.more), is opened as its reader opens it.
OPEN_FOLDS = "() => document.querySelectorAll('main details.more, details[data-fold-on-phone]').forEach(d => { d.open = true; })"


def fold_state(page: Page, testid: str) -> dict:
    """Whether the table ``testid`` is folded on the page as shown now: ``{"open": ..., "summary":
    <its summary is shown>}``."""
    return page.get_by_test_id(testid).evaluate(
        "t => { const d = t.closest('details[data-fold-on-phone]');"
        " return d && {open: d.open, summary: d.querySelector('summary').getClientRects().length > 0}; }"
    )


def unfold(page: Page, testid: str) -> None:
    """Open the folded table ``testid`` by its summary, as its reader does."""
    page.locator("details[data-fold-on-phone]").filter(has=page.get_by_test_id(testid)).locator(
        "summary"
    ).click()


def cards_on_a_phone(page: Page) -> int:
    """Load the current page again at 390 px and check its card tables (a table folded on a phone
    opened first) and that the page does not scroll sideways; returns the number of cards. The viewport is restored afterwards and the page
    loaded again, so the test goes on as it was."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        page.reload()
        page.evaluate(OPEN_FOLDS)
        problems = card_problems(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        cards = page.locator("main table.table--cards tbody tr").count()
    finally:
        page.set_viewport_size(size)
        page.reload()
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a phone"
    return cards


# A value of a facts list (dl.facts) that the browser laid out on more than one line: each text
# of it gives one rectangle per line.
BROKEN_FACTS = """() => [...document.querySelectorAll('main dl.facts dd')].filter(dd => {
  const range = document.createRange();
  range.selectNodeContents(dd);
  return range.getClientRects().length > 1;
}).map(dd => dd.textContent.trim())"""


def facts_broken_on_a_phone(page: Page) -> list[str]:
    """The values of the page's facts lists that break over two lines at 390 px (an amount such as
    "147.637.795,28 EUR" must not); the viewport is restored afterwards."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        page.reload()
        return page.evaluate(BROKEN_FACTS)
    finally:
        page.set_viewport_size(size)
        page.reload()
