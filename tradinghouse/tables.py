"""The per-cell table bodies of the position dashboards, rendered in Python.

A round has a few hundred cells and each row a dozen figures; through the template engine that
is thousands of nodes and filters, which made the dashboard many times slower than a plain page.
Here each row is one format string, numbers go through the core formatters bound once to the
reader's language (``rohstoff.core.formatting.Numbers``), and every text is escaped. The tables' headers, captions and structure stay in the
templates; what a reader may see is decided before (``CellView``), never here.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from rohstoff.core import formatting


class Numbers(formatting.Numbers):
    """Tonnes and percentages in the reader's language (1.234,5 t / 1,234.5 t), and the few
    texts every row repeats, looked up and escaped once per table."""

    def __init__(self):
        super().__init__()
        self._names: dict[int, str] = {}
        self._badges = {"": f'<span class="badge badge--open">{escape(_("disclosed"))}</span>'}
        self.hidden = escape(_("hidden"))
        self.not_disclosed = escape(_("not disclosed"))
        self.none_disclosed = escape(
            _(
                "Not disclosed in any quarter of this selection: too few firms contribute, or one"
                " firm's share dominates."
            )
        )

    def name(self, material) -> str:
        name = self._names.get(material.pk)
        if name is None:
            name = self._names[material.pk] = escape(material.name)
        return name

    def badge(self, cell) -> str:
        reason = "" if cell.disclosed else cell.hidden_reason
        badge = self._badges.get(reason)
        if badge is None:
            badge = self._badges[reason] = (
                f'<span class="badge badge--hidden">{self.hidden}</span> '
                f'<span class="small sub">{escape(cell.get_hidden_reason_display())}</span>'
            )
        return badge


def _grouped(items, material_of, n: Numbers, columns: int, row) -> SafeString:
    """One <tbody> per material, headed by the material's name, with a row per quarter: narrow
    enough to sit beside its chart."""
    out, current = [], None
    for item in items:
        material = material_of(item)
        if material.pk != current:
            if current is not None:
                out.append("</tbody>")
            current = material.pk
            out.append(
                f'<tbody><tr class="group-row"><th colspan="{columns}" scope="rowgroup">{n.name(material)}</th></tr>'
            )
        out.append(row(item))
    if current is not None:
        out.append("</tbody>")
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped by the row functions


def _runs(items, hidden):
    """``items`` (one material's or element's quarters, in order) as runs: (True, [hidden items
    in a row]) or (False, [one shown item])."""
    run: list = []
    for item in items:
        if hidden(item):
            run.append(item)
            continue
        if run:
            yield True, run
            run = []
        yield False, [item]
    if run:
        yield True, run


def _span(first, last) -> str:
    return first.period if first.period == last.period else f"{first.period} – {last.period}"


def _collapsed(items, n: Numbers, columns: int, row, *, cell=lambda item: item, hidden=None):
    """Members and ministry: a material's quarters, where quarters that are not disclosed one
    after another read as one row (“2028-Q1 – 2028-Q4: not disclosed”), and a material with
    nothing to show as one line saying why (docs/charts.md). ``cell`` gives an item's CellView;
    ``hidden`` says whether an item has nothing to show (default: its cell is not visible)."""
    hidden = hidden or (lambda item: not cell(item).visible)
    out = []
    by_material: dict = {}
    for item in items:
        by_material.setdefault(cell(item).material.pk, []).append(item)
    for mitems in by_material.values():
        material = cell(mitems[0]).material
        code = escape(material.code)
        out.append(
            f'<tbody><tr class="group-row"><th colspan="{columns}" scope="rowgroup">{n.name(material)}</th></tr>'
        )
        if all(hidden(item) for item in mitems):
            out.append(
                f'<tr data-testid="hidden-material-{code}"><td colspan="{columns}" class="cell-hidden"'
                f' data-testid="hidden-cell">{n.none_disclosed}</td></tr></tbody>'
            )
            continue
        for is_hidden, run in _runs(mitems, hidden):
            if is_hidden:
                first, last = cell(run[0]), cell(run[-1])
                out.append(
                    f'<tr data-testid="cell-{code}-{first.period}"><th scope="row">{_span(first, last)}</th>'
                    f'<td class="num cell-hidden" colspan="{columns - 1}" data-testid="hidden-cell">{n.not_disclosed}</td></tr>'
                )
            else:
                out.append(row(run[0]))
        out.append("</tbody>")
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped by the row functions


def desk_demand_rows(cells) -> SafeString:
    """Firm, indicative and total demand per quarter, grouped by material; hidden cells flagged.
    A card per quarter on a phone: each figure names its column (the headings of
    ``dashboard_desk.html``)."""
    n = Numbers()
    flag = f' <span class="badge badge--hidden">{n.hidden}</span>'
    firm, indicative, demand = (
        _label(_("Firm (t)")),
        _label(_("Indicative (t)")),
        _label(_("Demand (t)")),
    )

    def row(c):
        marker, badge = ("", "") if c.disclosed else (' class="is-hidden-cell"', flag)
        return (
            f'<tr{marker}><th scope="row">{c.period}{badge}</th><td class="num"{firm}>{n.tonnes(c.demand_firm_t)}</td>'
            f'<td class="num"{indicative}>{n.tonnes(c.demand_indicative_t)}</td><td class="num"{demand}>{n.tonnes(c.demand_t)}</td></tr>'
        )

    return _grouped(cells, lambda c: c.material, n, 4, row)


def trustee_rows(cells, *, desk: bool) -> SafeString:
    """All figures of every cell, with the disclosure decision (desk and agency). A card per
    quarter on a phone: each figure names its column (the headings of ``dashboard_desk.html``)."""
    n = Numbers()
    (
        demand,
        firm,
        indicative,
        firms,
        largest_firm,
        contracted,
        allocated,
        directly,
        open_,
        coverage,
        disclosure,
    ) = _labels(
        _("Demand (t)"),
        _("Firm (t)"),
        _("Indicative (t)"),
        _("Firms"),
        _("Largest firm"),
        _("Contracted (t)"),
        _("Allocated (t)"),
        _("Covered by members directly (t)"),
        _("Open (t)"),
        _("Coverage"),
        _("Disclosure"),
    )

    def row(c):
        largest = f'<td class="num"{largest_firm}>{n.percent(c.largest_share)}</td>' if desk else ""
        marker = "" if c.disclosed else ' class="is-hidden-cell"'
        return (
            f'<tr{marker} data-testid="cell-{escape(c.material.code)}-{c.period}"><th scope="row">{c.period}</th>'
            f'<td class="num"{demand}>{n.tonnes(c.demand_t)}</td><td class="num"{firm}>{n.tonnes(c.demand_firm_t)}</td>'
            f'<td class="num"{indicative}>{n.tonnes(c.demand_indicative_t)}</td><td class="num"{firms}>{c.contributors}</td>{largest}'
            f'<td class="num"{contracted}>{n.tonnes(c.contracted_t)}</td><td class="num"{allocated}>{n.tonnes(c.allocated_t)}</td>'
            f'<td class="num" data-testid="direct"{directly}>{n.tonnes(c.covered_directly_t)}{direct_flag(c)}</td>'
            f'<td class="num"{open_}>{n.tonnes(c.open_t)}</td><td class="num"{coverage}>{n.percent(c.coverage)}</td>'
            f'<td class="disclosure"{disclosure}>{n.badge(c)}</td></tr>'
        )

    # The covered-directly figure of a cell that others may not see carries the "hidden" badge.
    # Under the figure, so that the desk's twelve columns fit beside the navigation at 1366 px.
    hidden_direct = f'<span class="sub"><span class="badge badge--hidden">{n.hidden}</span></span>'

    def direct_flag(c):
        return hidden_direct if c.covered_directly_t and not c.direct_disclosed else ""

    return _grouped(cells, lambda c: c.material, n, 12 if desk else 11, row)


def public_rows(cells) -> SafeString:
    """Members and ministry: figures of disclosed cells; a hidden cell says so and nothing else.
    A card per quarter on a phone: each figure names its column (the headings of
    ``_public_table.html``); a text that stands for several columns ("split not disclosed") names
    none and reads as a line of its own."""
    n = Numbers()
    split_hidden = escape(_("split not disclosed"))
    demand, firm, indicative, firms, contracted, allocated, directly, open_, coverage = _labels(
        _("Demand (t)"),
        _("Firm (t)"),
        _("Indicative (t)"),
        _("Firms"),
        _("Contracted (t)"),
        _("Allocated (t)"),
        _("Covered by members directly (t)"),
        _("Open (t)"),
        _("Coverage"),
    )

    def row(c):
        head = f'<tr data-testid="cell-{escape(c.material.code)}-{c.period}"><th scope="row">{c.period}</th>'
        if c.parts_visible:
            parts = (
                f'<td class="num"{firm}>{n.tonnes(c.demand_firm_t)}</td>'
                f'<td class="num"{indicative}>{n.tonnes(c.demand_indicative_t)}</td>'
            )
        else:
            parts = f'<td class="num cell-hidden" colspan="2">{split_hidden}</td>'
        return (
            f'{head}<td class="num"{demand}>{n.tonnes(c.demand_t)}</td>{parts}<td class="num"{firms}>{c.contributors}</td>'
            f'<td class="num"{contracted}>{n.tonnes(c.contracted_t)}</td><td class="num"{allocated}>{n.tonnes(c.allocated_t)}</td>'
            f'<td class="num" data-testid="direct"{directly}>{direct(c)}</td>'
            f'<td class="num"{open_}>{n.tonnes(c.open_t)}</td><td class="num"{coverage}>{n.percent(c.coverage)}</td></tr>'
        )

    def direct(c):
        if c.covered_directly_t is None:
            return n.not_disclosed if c.contracted_t is not None else n.tonnes(None)
        return n.tonnes(c.covered_directly_t)

    return _collapsed(cells, n, 10, row)


def _label(text: str) -> str:
    """A cell's column name for the cards a table becomes on a phone (docs/tables.md): the same
    translated text as the column's heading in the template."""
    return f' data-label="{escape(text)}"'


def _labels(*texts: str) -> tuple[str, ...]:
    """``_label`` of each (translated) text: the column names of one table."""
    return tuple(_label(text) for text in texts)


def coverage_rows(cells) -> SafeString:
    """The ministry's coverage table, a card per quarter on a phone: each figure names its column
    (the headings of ``dashboard_ministry.html``)."""
    n = Numbers()
    demand, contracted = _label(_("Demand (t)")), _label(_("Contracted (t)"))
    directly, coverage = _label(_("Covered by members directly (t)")), _label(_("Coverage"))

    def row(c):
        head = f'<tr><th scope="row">{c.period}</th>'
        return (
            f'{head}<td class="num"{demand}>{n.tonnes(c.demand_t)}</td><td class="num"{contracted}>{n.tonnes(c.contracted_t)}</td>'
            f'<td class="num" data-testid="direct"{directly}>{direct(c)}</td>'
            f'<td class="num"{coverage}>{n.percent(c.coverage)}</td></tr>'
        )

    def direct(c):
        if c.covered_directly_t is None:
            return n.not_disclosed if c.contracted_t is not None else n.tonnes(None)
        return n.tonnes(c.covered_directly_t)

    return _collapsed(cells, n, 5, row)


def member_rows(rows) -> SafeString:
    n = Numbers()

    def row(r):
        c = r.cell
        head = (
            f'<tr data-testid="row-{escape(c.material.code)}-{c.period}"><th scope="row">{c.period}</th>'
            f'<td class="num">{n.tonnes(r.own_t)}</td>'
        )
        if not c.visible:
            return f'{head}<td class="num cell-hidden" colspan="2" data-testid="hidden-cell">{n.not_disclosed}</td></tr>'
        return f'{head}<td class="num">{n.tonnes(c.demand_t)}</td><td class="num">{n.percent(r.share)}</td></tr>'

    # A quarter the pool is not disclosed for stays a row of its own while the firm has demand
    # in it: the firm's own figure is always shown.
    return _collapsed(
        rows, n, 4, row, cell=lambda r: r.cell, hidden=lambda r: not r.cell.visible and not r.own_t
    )


def element_rows(elements, *, trustee: bool) -> SafeString:
    """The element roll-up. Trustees see every row with its decision; for members and the
    ministry, quarters that are not disclosed one after another read as one row, and an element
    with no disclosed quarter as one line saying why (docs/charts.md)."""
    n = Numbers()
    not_disclosed = n.not_disclosed
    out = []
    # A card per element and quarter on a phone, each figure under its column's name (the
    # headings of ``_elements.html``).
    quarter, contained, lce, firms, disclosure = _labels(
        _("Quarter"), _("Contained element (t)"), _("LCE (t)"), _("Firms"), _("Disclosure")
    )

    def shown(e) -> str:
        head = f'<tr><th scope="row">{escape(e.element)}</th><td{quarter}>{e.period}</td>'
        if e.visible:
            body = (
                f'<td class="num"{contained}>{n.tonnes(e.demand_t)}</td>'
                f'<td class="num"{lce}>{n.tonnes(e.demand_lce_t)}</td>'
            )
        else:
            body = f'<td class="num cell-hidden" colspan="2">{not_disclosed}</td>'
        tail = (
            f'<td class="num"{firms}>{e.contributors}</td><td{disclosure}>{n.badge(e)}</td>'
            if trustee
            else ""
        )
        return f"{head}{body}{tail}</tr>"

    if trustee:
        return mark_safe("".join(shown(e) for e in elements))  # noqa: S308 - escaped above
    by_element: dict = {}
    for e in elements:
        by_element.setdefault(e.element, []).append(e)
    none_disclosed = escape(
        _(
            "Not disclosed in any quarter: a roll-up is withheld when it fails the rule itself or"
            " when any of its materials is withheld."
        )
    )
    for element, rows in by_element.items():
        if not any(e.visible for e in rows):
            out.append(
                f'<tr data-testid="hidden-element-{escape(element)}"><th scope="row">{escape(element)}</th>'
                f'<td colspan="3" class="cell-hidden">{none_disclosed}</td></tr>'
            )
            continue
        for hidden, run in _runs(rows, lambda e: not e.visible):
            if hidden:
                out.append(
                    f'<tr><th scope="row">{escape(element)}</th><td{quarter}>{_span(run[0], run[-1])}</td>'
                    f'<td class="num cell-hidden" colspan="2">{not_disclosed}</td></tr>'
                )
            else:
                out.append(shown(run[0]))
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
