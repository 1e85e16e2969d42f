"""Sentences for the engine's structured explanations, translated when shown (docs/matching.md).

Two audiences: the desk reads everything; a supplier reads only what concerns its own offer
(no count of competing offers, no other offer's number, no ties: a tie would tell it that another
offer has its price).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from rohstoff.core.formatting import format_money, format_percent, format_tonnes

from . import engine

DESK = "desk"
SUPPLIER = "supplier"


def summary(outcome: engine.OfferOutcome) -> str:
    """One line for an offer: fully, partly or not matched."""
    if outcome.status == engine.FULL:
        return _("Fully matched: %(matched)s.") % {"matched": format_tonnes(outcome.matched_t)}
    if outcome.status == engine.PARTIAL:
        return _("Partly matched: %(matched)s of %(offered)s.") % {
            "matched": format_tonnes(outcome.matched_t),
            "offered": format_tonnes(outcome.offered_t),
        }
    return _("Not matched.")


def describe(outcome: engine.OfferOutcome, *, audience: str = DESK) -> list[str]:
    """The reasons of an offer's outcome, one sentence each, the whole offer's first."""
    lines = []
    for first, last in _runs(outcome.notes):
        label = str(first.quarter) if last is first else f"{first.quarter}–{last.quarter}"
        text = describe_note(first, audience=audience, quarter_label=label)
        if text:
            lines.append(text)
    return lines


def _runs(notes) -> list[tuple[engine.Note, engine.Note]]:
    """Consecutive quarters with the same reason and the same figures, as (first, last) notes, so
    that twenty identical quarters read as one sentence ("2027-Q1–2031-Q4: …")."""
    runs: list[list[engine.Note]] = []
    for note in notes:
        if runs:
            last = runs[-1][1]
            if (
                note.quarter is not None
                and last.quarter is not None
                and note.code == last.code
                and note.kwargs == last.kwargs
                and note.quarter == last.quarter + 1
            ):
                runs[-1][1] = note
                continue
        runs.append([note, note])
    return [(first, last) for first, last in runs]


def describe_note(
    note: engine.Note, *, audience: str = DESK, quarter_label: str | None = None
) -> str | None:
    """One reason as a sentence, or None when the audience may not read it. ``quarter_label``
    replaces the note's quarter (a run of quarters, see ``describe``)."""
    p = note.kwargs
    values = {"quarter": quarter_label or (str(note.quarter) if note.quarter else "")}
    for key in ("matched_t", "offered_t", "minimum_t", "reachable_t", "would_get_t"):
        if key in p:
            values[key[:-2]] = format_tonnes(p[key])
    if "price_eur_t" in p:
        values["price"] = format_money(p["price_eur_t"], "EUR", "t")
    if "limit" in p:
        values["limit"] = format_percent(p["limit"], 1)
    for key in ("rank", "offers", "other", "country"):
        if key in p:
            values[key] = p[key]
    desk = audience == DESK
    code = note.code
    if code == engine.MATCHED:
        if not desk:
            return _("%(quarter)s: fully matched (%(matched)s at %(price)s).") % values
        if p["offers"] == 1:
            return _("%(quarter)s: the only offer; fully matched (%(matched)s at %(price)s).") % (
                values
            )
        if p["rank"] == 1:
            return (
                _(
                    "%(quarter)s: cheapest of %(offers)s offers (%(price)s); fully matched (%(matched)s)."
                )
                % values
            )
        return (
            _(
                "%(quarter)s: place %(rank)s of %(offers)s by price (%(price)s); fully matched "
                "(%(matched)s)."
            )
            % values
        )
    if code == engine.DEMAND_EXHAUSTED:
        if p["matched_t"] == 0:
            if not desk:
                return _(
                    "%(quarter)s: not matched: offers ranked before it (by price, then "
                    "submission time) covered the demand."
                ) % (values)
            return (
                _(
                    "%(quarter)s: not matched: offers ranked before it covered the demand (place "
                    "%(rank)s of %(offers)s, %(price)s)."
                )
                % values
            )
        if not desk:
            return (
                _(
                    "%(quarter)s: partly matched, %(matched)s of %(offered)s: offers ranked "
                    "before it (by price, then submission time) covered the rest of the demand."
                )
                % values
            )
        return (
            _(
                "%(quarter)s: partly matched, %(matched)s of %(offered)s: demand exhausted (place "
                "%(rank)s of %(offers)s, %(price)s)."
            )
            % values
        )
    if code == engine.COUNTRY_CAP:
        if p["matched_t"] == 0:
            return (
                _(
                    "%(quarter)s: not matched, to keep %(country)s at %(limit)s of the matched "
                    "volume (diversification limit)."
                )
                % values
            )
        return (
            _(
                "%(quarter)s: cut to %(matched)s of %(offered)s to keep %(country)s at %(limit)s "
                "of the matched volume (diversification limit)."
            )
            % values
        )
    if code in (engine.TIE_WON, engine.TIE_LOST):
        if not desk:
            return None
        if code == engine.TIE_WON:
            if p["by"] == "submission":
                return (
                    _(
                        "%(quarter)s: same price as offer %(other)s; ranked first by earlier submission."
                    )
                    % values
                )
            return (
                _(
                    "%(quarter)s: same price and submission time as offer %(other)s; ranked first by the lower offer number."
                )
                % values
            )
        if p["by"] == "submission":
            return (
                _(
                    "%(quarter)s: tie with offer %(other)s at the same price, broken by its earlier submission."
                )
                % values
            )
        return (
            _(
                "%(quarter)s: tie with offer %(other)s at the same price and submission time, broken "
                "by its lower offer number."
            )
            % values
        )
    if code == engine.NO_DEMAND:
        return _("%(quarter)s: the call has no open demand for this material in this quarter.") % (
            values
        )
    if code == engine.NO_PRICE:
        return _("%(quarter)s: no landed price (an index value or FX rate is missing).") % values
    if code == engine.MINIMUM_UNREACHABLE:
        return (
            _(
                "Not matched: minimum volume %(minimum)s not reachable (at most %(reachable)s of "
                "the offer meets open demand with a landed price)."
            )
            % values
        )
    if code == engine.BELOW_MINIMUM:
        return (
            _(
                "Not matched: after cheaper offers it would have got %(would_get)s, below its "
                "minimum volume of %(minimum)s; its volume went to the next offers."
            )
            % values
        )
    raise ValueError(f"unknown explanation code {code!r}")


def describe_cell(cell: engine.CellOutcome, limit) -> str | None:
    """Why a cell's demand stays (partly) uncovered, for the desk; None when it is covered."""
    values = {"uncovered": format_tonnes(cell.uncovered_t), "limit": format_percent(limit, 1)}
    if cell.uncovered_reason == engine.NO_OFFERS:
        return _("%(uncovered)s uncovered: no offers.") % values
    if cell.uncovered_reason == engine.OFFERS_EXHAUSTED:
        return _("%(uncovered)s uncovered: the offers do not cover the demand.") % values
    if cell.uncovered_reason == engine.CAPPED:
        values["countries"] = ", ".join(cell.capped)
        return (
            _(
                "%(uncovered)s left uncovered to keep %(countries)s at %(limit)s of the matched volume."
            )
            % values
        )
    return None
