"""Element content of a material's chemical form, from its formula.

Atomic weights are the IUPAC 2021 standard atomic weights (CIAAW, "Standard atomic weights of the
elements 2021", Pure Appl. Chem. 2022); for elements that IUPAC gives as an interval we use its
conventional value (H 1.008, Li 6.94, C 12.011, N 14.007, O 15.999, Mg 24.305, Si 28.085, S 32.06,
Cl 35.45, Pb 207.2). Only elements that occur in raw-material trade are listed; an unknown symbol
is an error, never a silent zero.
"""

import re
from decimal import Decimal

ATOMIC_WEIGHTS: dict[str, Decimal] = {
    symbol: Decimal(weight)
    for symbol, weight in {
        "H": "1.008",
        "Li": "6.94",
        "Be": "9.0121831",
        "B": "10.81",
        "C": "12.011",
        "N": "14.007",
        "O": "15.999",
        "F": "18.998403162",
        "Na": "22.98976928",
        "Mg": "24.305",
        "Al": "26.9815384",
        "Si": "28.085",
        "P": "30.973761998",
        "S": "32.06",
        "Cl": "35.45",
        "K": "39.0983",
        "Ca": "40.078",
        "Sc": "44.955907",
        "Ti": "47.867",
        "V": "50.9415",
        "Cr": "51.9961",
        "Mn": "54.938043",
        "Fe": "55.845",
        "Co": "58.933194",
        "Ni": "58.6934",
        "Cu": "63.546",
        "Zn": "65.38",
        "Ga": "69.723",
        "Ge": "72.630",
        "As": "74.921595",
        "Se": "78.971",
        "Br": "79.904",
        "Rb": "85.4678",
        "Sr": "87.62",
        "Y": "88.905838",
        "Zr": "91.222",
        "Nb": "92.90637",
        "Mo": "95.95",
        "Ru": "101.07",
        "Rh": "102.90549",
        "Pd": "106.42",
        "Ag": "107.8682",
        "Cd": "112.414",
        "In": "114.818",
        "Sn": "118.710",
        "Sb": "121.760",
        "Te": "127.60",
        "I": "126.90447",
        "Cs": "132.90545196",
        "Ba": "137.327",
        "La": "138.90547",
        "Ce": "140.116",
        "Pr": "140.90766",
        "Nd": "144.242",
        "Sm": "150.36",
        "Eu": "151.964",
        "Gd": "157.249",
        "Tb": "158.925354",
        "Dy": "162.500",
        "Ho": "164.930329",
        "Er": "167.259",
        "Tm": "168.934219",
        "Yb": "173.045",
        "Lu": "174.96669",
        "Hf": "178.486",
        "Ta": "180.94788",
        "W": "183.84",
        "Re": "186.207",
        "Os": "190.23",
        "Ir": "192.217",
        "Pt": "195.084",
        "Au": "196.966570",
        "Hg": "200.592",
        "Tl": "204.38",
        "Pb": "207.2",
        "Bi": "208.98040",
        "Th": "232.0377",
        "U": "238.02891",
    }.items()
}

# Lithium carbonate equivalent: tonnes of Li2CO3 that one tonne of lithium makes.
LCE_PER_LITHIUM = None  # set below, once the functions exist


class FormulaError(ValueError):
    pass


_TOKEN = re.compile(r"([A-Z][a-z]?)|(\()|(\))|(\d+)")


def _parse_group(formula: str) -> dict[str, int]:
    """Atom counts of a formula without hydrate dots, e.g. ``(NH4)10(H2W12O42)``."""
    stack: list[dict[str, int]] = [{}]
    pos = 0
    last: dict[str, int] | str | None = None
    while pos < len(formula):
        match = _TOKEN.match(formula, pos)
        if not match:
            raise FormulaError(f"Unexpected character {formula[pos]!r} in {formula!r}.")
        symbol, opening, closing, number = match.groups()
        pos = match.end()
        if symbol:
            if symbol not in ATOMIC_WEIGHTS:
                raise FormulaError(f"Unknown element {symbol!r} in {formula!r}.")
            stack[-1][symbol] = stack[-1].get(symbol, 0) + 1
            last = symbol
        elif opening:
            stack.append({})
            last = None
        elif closing:
            if len(stack) == 1:
                raise FormulaError(f"Unbalanced ')' in {formula!r}.")
            group = stack.pop()
            for sym, count in group.items():
                stack[-1][sym] = stack[-1].get(sym, 0) + count
            last = group
        else:
            factor = int(number)
            if isinstance(last, str):
                stack[-1][last] += factor - 1
            elif isinstance(last, dict):
                for sym, count in last.items():
                    stack[-1][sym] += count * (factor - 1)
            else:
                raise FormulaError(f"A number without an element before it in {formula!r}.")
            last = None
    if len(stack) != 1:
        raise FormulaError(f"Unbalanced '(' in {formula!r}.")
    return stack[0]


def atom_counts(formula: str) -> dict[str, int]:
    """Atom counts of a formula; hydrates and adducts are written with a dot: ``CoSO4.7H2O``."""
    formula = formula.strip().replace("·", ".").replace("•", ".")
    if not formula:
        raise FormulaError("Empty formula.")
    total: dict[str, int] = {}
    for part in formula.split("."):
        match = re.match(r"^(\d+)?(.+)$", part.strip())
        if not match:
            raise FormulaError(f"Empty part in {formula!r}.")
        factor = int(match.group(1) or 1)
        for sym, count in _parse_group(match.group(2)).items():
            total[sym] = total.get(sym, 0) + count * factor
    return total


def molar_mass(formula: str) -> Decimal:
    return sum((ATOMIC_WEIGHTS[s] * n for s, n in atom_counts(formula).items()), Decimal(0))


def element_symbols(element: str) -> list[str]:
    """``Nd`` -> [Nd]; the trade's combined basis ``NdPr`` -> [Nd, Pr]."""
    symbols = re.findall(r"[A-Z][a-z]?", element)
    if not symbols or "".join(symbols) != element:
        raise FormulaError(f"{element!r} is not an element symbol or a combination of them.")
    for symbol in symbols:
        if symbol not in ATOMIC_WEIGHTS:
            raise FormulaError(f"Unknown element {symbol!r}.")
    return symbols


def mass_fraction(formula: str, element: str) -> Decimal:
    """Mass fraction of ``element`` (or of a combined basis such as ``NdPr``) in ``formula``."""
    counts = atom_counts(formula)
    contained = sum(
        (ATOMIC_WEIGHTS[s] * counts.get(s, 0) for s in element_symbols(element)), Decimal(0)
    )
    return contained / molar_mass(formula)


_COMPONENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%)?\s+(\S+)\s*$")


def parse_composition(composition: str) -> list[tuple[Decimal, str]]:
    """A mixture or concentrate as mass fractions of its compounds.

    ``0.75 Nd2O3 + 0.25 Pr6O11`` (NdPr oxide) or ``6% Li2O`` (spodumene concentrate: the rest
    is gangue that carries none of the element). Fractions may add up to at most 1.
    """
    parts = []
    for chunk in composition.split("+"):
        match = _COMPONENT.match(chunk)
        if not match:
            raise FormulaError(f"Cannot read {chunk.strip()!r}; write e.g. '0.75 Nd2O3'.")
        share = Decimal(match.group(1)) / (100 if match.group(2) else 1)
        atom_counts(match.group(3))  # validates the formula
        parts.append((share, match.group(3)))
    if sum(share for share, _ in parts) > 1:
        raise FormulaError(f"The shares in {composition!r} add up to more than 1.")
    return parts


def element_content(*, formula: str, composition: str, element: str) -> Decimal:
    """Mass fraction of the element in the material: from its formula, or from its composition."""
    if formula and composition:
        raise FormulaError("Give either a formula or a composition, not both.")
    if formula:
        return mass_fraction(formula, element)
    if composition:
        return sum(
            (share * mass_fraction(f, element) for share, f in parse_composition(composition)),
            Decimal(0),
        )
    raise FormulaError("A material needs a formula or a composition.")


LCE_PER_LITHIUM = molar_mass("Li2CO3") / (2 * ATOMIC_WEIGHTS["Li"])
