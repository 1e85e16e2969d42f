"""Numbers and quarters in the contract forms as people write them, per language, and back. The
fields are the core ones (rohstoff.core.forms); these tests go through the contract forms."""

from decimal import Decimal

import pytest
from django.utils import translation

from contracts.allocations.forms import OverrideForm
from contracts.offtakes.forms import ContractForm, ScheduleForm
from rohstoff.core.periods import Quarter


@pytest.mark.parametrize(
    "lang,text,value",
    [
        ("de", "1.500,5", Decimal("1500.5")),
        ("de", "0,001", Decimal("0.001")),
        ("de", "1.500", Decimal("1500")),
        ("en", "1,500.5", Decimal("1500.5")),
        ("en", "0.001", Decimal("0.001")),
        ("en", "1,500", Decimal("1500")),
    ],
)
def test_numbers_as_written(lang, text, value):
    with translation.override(lang):
        form = OverrideForm(data={"quantity_t": text, "reason": "Nachlieferung"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["quantity_t"] == value


def test_a_number_that_is_none_is_an_error_in_the_readers_words():
    with translation.override("de"):
        form = OverrideForm(data={"quantity_t": "viel", "reason": "x"})
        assert not form.is_valid()
        assert form.errors["quantity_t"] == ["Geben Sie eine Zahl ein, z. B. 1.500,5 oder 1500,5."]


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_shown_value_reads_back_the_same(lang, make_contract):
    contract = make_contract()
    with translation.override(lang):
        entries = {contract.start_quarter: Decimal("1250.500000")}
        shown = ScheduleForm(contract=contract, entries=entries)
        text = shown[f"q{contract.start_quarter}"].value()
        assert text == ("1250,5" if lang == "de" else "1250.5")
        data = {f"q{q}": "0" for q in shown.quarters} | {f"q{contract.start_quarter}": text}
        form = ScheduleForm(data, contract=contract, entries={})
        assert form.is_valid(), form.errors
    assert form.entries()[contract.start_quarter] == Decimal("1250.5")


@pytest.mark.django_db
def test_contract_quarters_are_read_as_the_index_the_model_stores():
    form = ContractForm(data={"start_quarter": "2027q3", "end_quarter": "2028-Q2"})
    form.is_valid()
    assert form.cleaned_data["start_quarter"] == Quarter.parse("2027-Q3").index
    assert form.cleaned_data["end_quarter"] == Quarter.parse("2028-Q2").index
    assert "start_quarter" not in form.errors
    bad = ContractForm(data={"start_quarter": "2027-Q5"})
    bad.is_valid()
    assert bad.errors["start_quarter"] == ["Write a quarter such as 2027-Q1."]
