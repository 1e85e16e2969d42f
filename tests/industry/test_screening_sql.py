"""The screening's outlier statistics in SQL flag exactly the lines the former Python computation
flagged (medians per material, the firm's average in earlier rounds; year lines count a quarter;
withdrawn and excluded lines do not count), and a page costs a fixed number of queries."""

import datetime
import random
import re
import statistics
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from industry.lines import figures, screening
from industry.lines import services as line_services
from industry.models import DemandLine, DemandRound
from rohstoff.core.periods import Quarter


def old_outliers(round) -> dict[int, tuple]:
    """line id -> (median, earlier average) it exceeds, as computed before (all rows in Python)."""

    def per_quarter(q, is_year):
        return q / 4 if is_year else q

    by_material = defaultdict(list)
    for m, q, y in DemandLine.objects.filter(
        round=round, withdrawn_at__isnull=True, excluded=False
    ).values_list("material_id", "quantity_t", "is_year"):
        by_material[m].append(per_quarter(q, y))
    medians = {m: statistics.median(v) for m, v in by_material.items() if len(v) >= 3}
    earlier_rounds = (
        DemandRound.objects.filter(opens_at__lt=round.opens_at)
        .exclude(pk=round.pk)
        .exclude(state="draft")
    )
    earlier = defaultdict(list)
    for o, m, q, y in DemandLine.objects.filter(
        round__in=earlier_rounds, withdrawn_at__isnull=True, excluded=False
    ).values_list("organisation_id", "material_id", "quantity_t", "is_year"):
        earlier[(o, m)].append(per_quarter(q, y))
    history = {k: sum(v) / len(v) for k, v in earlier.items()}
    flagged = {}
    for pk, o, m, q, y in DemandLine.objects.filter(round=round).values_list(
        "pk", "organisation_id", "material_id", "quantity_t", "is_year"
    ):
        pq = per_quarter(q, y)
        med, avg = medians.get(m), history.get((o, m))
        hits = (
            med if med and pq > 3 * med else None,
            avg if avg and pq > 3 * avg else None,
        )
        if any(hits):
            flagged[pk] = hits
    return flagged


def _line(round, org, material, period, quantity, user, **extra):
    quarter = Quarter.parse(period) if "Q" in period else Quarter(int(period), 1)
    return DemandLine.objects.create(
        round=round,
        organisation=org,
        material=material,
        period=period,
        first_quarter=quarter.index,
        is_year="Q" not in period,
        quantity=quantity,
        unit="t",
        quantity_t=quantity,
        entered_by=user,
        **extra,
    )


@pytest.fixture
def two_rounds(make_round, materials, desk, make_org):
    now = timezone.now()
    earlier = make_round()
    DemandRound.objects.filter(pk=earlier.pk).update(
        opens_at=now - datetime.timedelta(days=400), state="aggregated"
    )
    current = make_round()
    rng = random.Random(5)
    firms = [make_org(f"Screening Firma {i}") for i in range(12)]
    mats = list(materials.values())
    periods = ["2027", "2028", "2027-Q1", "2027-Q2", "2028-Q3", "2029-Q4"]
    for firm in firms:
        for material in mats[:3]:
            for period in rng.sample(periods, 3):
                _line(earlier, firm, material, period, Decimal(rng.randint(1, 40)), desk)
            for i, period in enumerate(rng.sample(periods, 4)):
                quantity = Decimal(rng.randint(1, 40_000)) / 1000
                if rng.random() < 0.15:
                    quantity *= 25  # an outlier
                _line(
                    current,
                    firm,
                    material,
                    period,
                    quantity,
                    desk,
                    excluded=(i == 3 and rng.random() < 0.3),
                )
    # Too few lines for a median: a material with two lines only.
    _line(current, firms[0], mats[3], "2027", Decimal("5"), desk)
    _line(current, firms[1], mats[3], "2027", Decimal("500"), desk)
    return current


def test_same_outliers_as_the_python_computation(two_rounds, desk):
    old = old_outliers(two_rounds)
    assert 5 < len(old) < DemandLine.objects.filter(round=two_rounds).count()
    screened = screening.screening_lines(user=desk, round=two_rounds, flagged=True, sort="firm")
    assert len(screened) == len(old)
    rows = list(screened)
    assert {row.line.pk for row in rows} == set(old)
    for row in rows:
        median, average = old[row.line.pk]
        assert len(row.flags) == (median is not None) + (average is not None)
    # Unfiltered: every line, the same flags on each.
    everything = screening.screening_lines(user=desk, round=two_rounds)
    assert len(everything) == DemandLine.objects.filter(round=two_rounds).count()
    assert {row.line.pk for row in everything if row.flags} == set(old)


def test_medians_are_exact(two_rounds):
    lines = DemandLine.objects.filter(round=two_rounds, withdrawn_at__isnull=True, excluded=False)
    by_material = defaultdict(list)
    for line in lines:
        by_material[line.material_id].append(
            line.quantity_t / 4 if line.is_year else line.quantity_t
        )
    expected = {m: statistics.median(v) for m, v in by_material.items() if len(v) >= 3}
    assert figures.material_medians(two_rounds) == expected


def test_a_page_costs_a_fixed_number_of_queries(two_rounds, desk, django_assert_num_queries):
    cache.clear()
    # First view after a change: the versions, the materials, the medians and the counts
    # (computed and stored), the page's ids, the lines, their history, the earlier averages.
    with django_assert_num_queries(8):
        screened = screening.screening_lines(user=desk, round=two_rounds)
        assert len(screened) > 20
        assert len(screened[0:20]) == 20
    # Every later view: the statistics and the page's ids come from the store, nothing reads
    # an index range of the round: the versions, the materials, the lines, their history, the
    # earlier averages.
    with django_assert_num_queries(5):
        screened = screening.screening_lines(user=desk, round=two_rounds)
        assert len(screened[0:20]) == 20
    # The flagged filter: the same, its counts stored as well.
    screening.screening_lines(user=desk, round=two_rounds, flagged=True)
    with django_assert_num_queries(2):
        assert len(screening.screening_lines(user=desk, round=two_rounds, flagged=True)) > 0
    with django_assert_num_queries(2):
        screened = screening.screening_lines(user=desk, round=two_rounds, flagged=True, sort="firm")
        assert len(screened) > 0


def _python_medians(round):
    by_material = defaultdict(list)
    for line in DemandLine.objects.filter(round=round, withdrawn_at__isnull=True, excluded=False):
        by_material[line.material_id].append(
            line.quantity_t / 4 if line.is_year else line.quantity_t
        )
    return {m: statistics.median(v) for m, v in by_material.items() if len(v) >= 3}


def _default_order(round):
    lines = DemandLine.objects.filter(round=round).select_related("material", "organisation")
    return [
        line.pk
        for line in sorted(
            lines,
            key=lambda x: (
                x.material.sort_order,
                x.material_id,
                x.first_quarter,
                x.organisation.name,
                x.is_year,
                x.pk,
            ),
        )
    ]


def _pages(round, desk, cuts=((0, 7), (7, 50), (50, 130), (130, None))):
    screened = screening.screening_lines(user=desk, round=round)
    return [row.line.pk for cut in cuts for row in screened[slice(*cut)]]


def test_a_stored_page_follows_renames_and_changes(two_rounds, desk):
    """The ids of a page are stored under the version of the material's lines and of the firms'
    names: a rename by any statement (here a bulk update, no model save) or a change of a line
    gives the new order at once."""
    from rohstoff.core.models import Organisation

    cache.clear()
    assert _pages(two_rounds, desk) == _default_order(two_rounds)
    first = DemandLine.objects.get(pk=_default_order(two_rounds)[0])
    Organisation.objects.filter(pk=first.organisation_id).update(name="Zz letzte Firma")
    assert _pages(two_rounds, desk) == _default_order(two_rounds)
    assert _default_order(two_rounds)[0] != first.pk
    # A renamed firm's name comes back as it was: the versions differ, the stored page is not
    # mistaken for the one before.
    Organisation.objects.filter(pk=first.organisation_id).update(name=first.organisation.name)
    assert _pages(two_rounds, desk) == _default_order(two_rounds)
    # A line that is gone leaves the count and the page.
    DemandLine.objects.filter(pk=first.pk).delete()
    assert first.pk not in _pages(two_rounds, desk)
    assert _pages(two_rounds, desk) == _default_order(two_rounds)


def test_the_default_order_reads_material_by_material(two_rounds, desk):
    lines = DemandLine.objects.filter(round=two_rounds).select_related("material", "organisation")
    expected = _default_order(two_rounds)
    # Pages that begin and end inside a material and span two.
    assert _pages(two_rounds, desk) == expected
    # Flagged only, in the default order: the same lines as the former Python computation.
    flagged = screening.screening_lines(user=desk, round=two_rounds, flagged=True)
    assert [row.line.pk for row in flagged] == [
        pk for pk in expected if pk in old_outliers(two_rounds)
    ]
    # The material filter picks one material's stored count.
    code = lines.first().material.code
    one = screening.screening_lines(user=desk, round=two_rounds, material=code)
    assert len(one) == lines.filter(material__code=code).count() == len(list(one))


def test_stored_statistics_follow_every_line_write(two_rounds, desk):
    """No figure survives a change of the lines it was computed from: services, bulk and raw SQL
    writes all change the round's lines version (a trigger), and the stored figures are keyed by it."""
    cache.clear()
    assert figures.material_medians(two_rounds) == _python_medians(two_rounds)

    def same_as_python():
        screened = screening.screening_lines(user=desk, round=two_rounds, flagged=True)
        assert figures.material_medians(two_rounds) == _python_medians(two_rounds)
        assert {row.line.pk for row in screened} == set(old_outliers(two_rounds))
        assert len(screened) == len(old_outliers(two_rounds))
        everything = screening.screening_lines(user=desk, round=two_rounds)
        assert len(everything) == DemandLine.objects.filter(round=two_rounds).count()

    same_as_python()
    material = DemandLine.objects.filter(round=two_rounds).first().material_id
    line = (
        DemandLine.objects.filter(round=two_rounds, material_id=material, excluded=False)
        .order_by("quantity_t")
        .first()
    )
    # The desk excludes and restores through the services.
    line_services.line_exclude(line=line, actor=desk, reason="Doppelt gemeldet")
    same_as_python()
    line_services.line_restore(line=line, actor=desk)
    same_as_python()
    # A change of tonnes by an ORM update and by raw SQL (an import's path), a line deleted.
    DemandLine.objects.filter(pk=line.pk).update(
        quantity_t=Decimal("9000"), quantity=Decimal("9000")
    )
    same_as_python()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE industry_demandline SET quantity_t = 1 WHERE round_id = %s", [two_rounds.pk]
        )
    same_as_python()
    DemandLine.objects.filter(pk=line.pk).delete()
    same_as_python()
    # A line written in an earlier round changes the flags of this one (the firms' averages).
    earlier = DemandLine.objects.exclude(round=two_rounds).first()
    DemandLine.objects.filter(pk=earlier.pk).update(quantity_t=Decimal("0.000001"))
    same_as_python()


def test_the_version_changes_in_the_writing_transaction(two_rounds):
    versions = figures.round_versions(two_rounds)
    with transaction.atomic():
        DemandLine.objects.filter(round=two_rounds).update(excluded=True)
        assert figures.round_versions(two_rounds).version != versions.version
    after = figures.round_versions(two_rounds)
    assert after.version != versions.version
    material = DemandLine.objects.filter(round=two_rounds).first().material_id
    assert after.material_key("medians", material) != versions.material_key("medians", material)
    # A rolled-back write leaves the version as it was (nothing changed).
    with pytest.raises(RuntimeError), transaction.atomic():
        DemandLine.objects.filter(round=two_rounds).update(excluded=False)
        raise RuntimeError
    assert figures.round_versions(two_rounds) == after


def test_the_screening_page_costs_a_fixed_number_of_queries(
    login, two_rounds, desk, django_assert_num_queries
):
    client = login(desk)
    url = f"/rounds/{two_rounds.pk}/screening/"
    assert client.get(url).status_code == 200  # stores the statistics and the page's ids
    with django_assert_num_queries(11):
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('<tr id="screen-') == 25


def test_many_firms_are_searched_by_name(login, two_rounds, desk, monkeypatch):
    monkeypatch.setattr(screening, "FIRM_LIST_LIMIT", 5)
    client = login(desk)
    url = f"/rounds/{two_rounds.pk}/screening/"
    page = client.get(url).content.decode()
    assert 'name="firm_name"' in page and "All firms" not in page
    found = client.get(url + "?firm_name=firma 11").content.decode()
    expected = DemandLine.objects.filter(
        round=two_rounds, organisation__name="Screening Firma 11"
    ).count()
    assert found.count('<tr id="screen-') == expected > 0
    monkeypatch.setattr(screening, "FIRM_LIST_LIMIT", 200)
    assert "All firms" in client.get(url).content.decode()


def test_a_write_recomputes_only_the_changed_materials_figures(two_rounds, desk, monkeypatch):
    """The medians and counts are stored per material under that material's lines version: an
    exclusion of one line recomputes its material's figures and reads the others' as stored, and
    the figures stay those of the Python computation (docs/screening.md)."""
    screening.screening_lines(user=desk, round=two_rounds)  # everything stored
    line = DemandLine.objects.filter(round=two_rounds).order_by("pk").first()
    others = set(
        DemandLine.objects.filter(round=two_rounds)
        .exclude(material=line.material)
        .values_list("material_id", flat=True)
    )
    assert others, "the fixture has lines of several materials"
    line_services.line_exclude(line=line, actor=desk, reason="Doppelt gemeldet")
    stored = []
    set_many = cache.set_many
    monkeypatch.setattr(
        cache, "set_many", lambda data, *a, **k: stored.extend(data) or set_many(data, *a, **k)
    )
    screening.screening_lines(user=desk, round=two_rounds)
    # screening:<format>:<round>:m<material>:<version>:<what>:<digest>
    recomputed = {int(key.split(":")[3].removeprefix("m")) for key in stored}
    assert recomputed == {line.material_id}
    assert {key.split(":")[5] for key in stored} == {"medians", "counts"}
    assert figures.material_medians(two_rounds) == _python_medians(two_rounds)


def _expected_summary(round):
    lines = DemandLine.objects.filter(round=round, withdrawn_at__isnull=True)
    counted = lines.filter(excluded=False)
    totals = {}
    for line in counted:
        total, firm, n = totals.get(line.material_id, (Decimal(0), Decimal(0), 0))
        firm += line.quantity_t if line.commitment == "firm" else 0
        totals[line.material_id] = (total + line.quantity_t, firm, n + 1)
    return {
        "materials": totals,
        "lines": lines.count(),
        "firms": len({line.organisation_id for line in lines}),
        "counted_lines": counted.count(),
        "counted_firms": len({line.organisation_id for line in counted}),
    }


def _summary(round):
    s = figures.round_summary(round)
    return {
        "materials": s.materials,
        "lines": s.lines,
        "firms": s.firms,
        "counted_lines": s.counted_lines,
        "counted_firms": s.counted_firms,
    }


def test_the_round_summary_is_stored_and_follows_every_write(two_rounds, desk):
    """The desk's round page and dashboard read the round's figures from the store; a write of
    any kind (an exclusion, a withdrawal, a new line, a deletion, by the ORM in bulk) gives the
    new figures at once, and the database's and the demo's computations agree."""
    cache.clear()
    assert _summary(two_rounds) == _expected_summary(two_rounds)
    versions = figures.round_versions(two_rounds)
    ids = versions.material_ids
    assert figures._material_figures_in_python(two_rounds, ids) == {
        mid: f
        for mid, f in figures.stored_per_material(
            versions, "figures", (), lambda _ids: {}, whole=False
        ).items()
    }
    lines = DemandLine.objects.filter(round=two_rounds, excluded=False, withdrawn_at__isnull=True)
    firm_line = lines.filter(commitment="firm").first() or lines.first()
    DemandLine.objects.filter(pk=firm_line.pk).update(excluded=True)
    assert _summary(two_rounds) == _expected_summary(two_rounds)
    DemandLine.objects.filter(pk=lines.first().pk).update(withdrawn_at=timezone.now())
    assert _summary(two_rounds) == _expected_summary(two_rounds)
    first = lines.first()
    DemandLine.objects.filter(organisation_id=first.organisation_id, round=two_rounds).delete()
    assert _summary(two_rounds) == _expected_summary(two_rounds)
    assert _summary(two_rounds)["firms"] == 11


def test_the_desk_round_page_and_dashboard_show_the_stored_figures(login, two_rounds, desk):
    cache.clear()
    expected = _expected_summary(two_rounds)
    client = login(desk)
    page = client.get(f"/rounds/{two_rounds.pk}/").content.decode()
    assert f'data-testid="line-count">{expected["lines"]}<' in page
    home = client.get("/").content.decode()
    # The open rounds are listed, this one with its counted lines and firms.
    counted = rf"\b{expected['counted_lines']} lines,\s+{expected['counted_firms']} firms\b"
    assert re.search(counted, home)
