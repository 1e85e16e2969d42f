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
                f'<span class="small">{escape(cell.get_hidden_reason_display())}</span>'
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


def desk_demand_rows(cells) -> SafeString:
    """Firm, indicative and total demand per quarter, grouped by material; hidden cells flagged."""
    n = Numbers()
    flag = f' <span class="badge badge--hidden">{n.hidden}</span>'

    def row(c):
        marker, badge = ("", "") if c.disclosed else (' class="is-hidden-cell"', flag)
        return (
            f'<tr{marker}><th scope="row">{c.period}{badge}</th><td class="num">{n.tonnes(c.demand_firm_t)}</td>'
            f'<td class="num">{n.tonnes(c.demand_indicative_t)}</td><td class="num">{n.tonnes(c.demand_t)}</td></tr>'
        )

    return _grouped(cells, lambda c: c.material, n, 4, row)


def trustee_rows(cells, *, desk: bool) -> SafeString:
    """All figures of every cell, with the disclosure decision (desk and agency)."""
    n = Numbers()

    def row(c):
        largest = f'<td class="num">{n.percent(c.largest_share)}</td>' if desk else ""
        marker = "" if c.disclosed else ' class="is-hidden-cell"'
        return (
            f'<tr{marker} data-testid="cell-{escape(c.material.code)}-{c.period}"><th scope="row">{c.period}</th>'
            f'<td class="num">{n.tonnes(c.demand_t)}</td><td class="num">{n.tonnes(c.demand_firm_t)}</td>'
            f'<td class="num">{n.tonnes(c.demand_indicative_t)}</td><td class="num">{c.contributors}</td>{largest}'
            f'<td class="num">{n.tonnes(c.contracted_t)}</td><td class="num">{n.tonnes(c.allocated_t)}</td>'
            f'<td class="num">{n.tonnes(c.open_t)}</td><td class="num">{n.percent(c.coverage)}</td>'
            f'<td class="disclosure">{n.badge(c)}</td></tr>'
        )

    return _grouped(cells, lambda c: c.material, n, 11 if desk else 10, row)


def public_rows(cells) -> SafeString:
    """Members and ministry: figures of disclosed cells; a hidden cell says so and nothing else."""
    n = Numbers()
    split_hidden = escape(_("split not disclosed"))

    def row(c):
        head = f'<tr data-testid="cell-{escape(c.material.code)}-{c.period}"><th scope="row">{c.period}</th>'
        if not c.visible:
            return f'{head}<td class="num cell-hidden" colspan="8" data-testid="hidden-cell">{n.not_disclosed}</td></tr>'
        if c.parts_visible:
            parts = f'<td class="num">{n.tonnes(c.demand_firm_t)}</td><td class="num">{n.tonnes(c.demand_indicative_t)}</td>'
        else:
            parts = f'<td class="num cell-hidden" colspan="2">{split_hidden}</td>'
        return (
            f'{head}<td class="num">{n.tonnes(c.demand_t)}</td>{parts}<td class="num">{c.contributors}</td>'
            f'<td class="num">{n.tonnes(c.contracted_t)}</td><td class="num">{n.tonnes(c.allocated_t)}</td>'
            f'<td class="num">{n.tonnes(c.open_t)}</td><td class="num">{n.percent(c.coverage)}</td></tr>'
        )

    return _grouped(cells, lambda c: c.material, n, 9, row)


def coverage_rows(cells) -> SafeString:
    n = Numbers()

    def row(c):
        head = f'<tr><th scope="row">{c.period}</th>'
        if not c.visible:
            return f'{head}<td class="num cell-hidden" colspan="3" data-testid="hidden-cell">{n.not_disclosed}</td></tr>'
        return (
            f'{head}<td class="num">{n.tonnes(c.demand_t)}</td><td class="num">{n.tonnes(c.contracted_t)}</td>'
            f'<td class="num">{n.percent(c.coverage)}</td></tr>'
        )

    return _grouped(cells, lambda c: c.material, n, 4, row)


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

    return _grouped(rows, lambda r: r.cell.material, n, 4, row)


def element_rows(elements, *, trustee: bool) -> SafeString:
    n = Numbers()
    not_disclosed = n.not_disclosed
    out = []
    for e in elements:
        head = f'<tr><th scope="row">{escape(e.element)}</th><td>{e.period}</td>'
        if e.visible:
            lce = n.tonnes(e.demand_lce_t)
            body = f'<td class="num">{n.tonnes(e.demand_t)}</td><td class="num">{lce}</td>'
        else:
            body = f'<td class="num cell-hidden" colspan="2">{not_disclosed}</td>'
        tail = f'<td class="num">{e.contributors}</td><td>{n.badge(e)}</td>' if trustee else ""
        out.append(f"{head}{body}{tail}</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
