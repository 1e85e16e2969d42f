"""Contracts: validation users understand, states with audit, schedules, deliveries, the daily
check of late and short deliveries."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from contracts.deliveries import services as delivery_services
from contracts.models import ContractState, FxRate, OfftakeContract, PriceIndex, ScheduleFlag
from contracts.offtakes import services as offtake_services
from contracts.prices import services as price_services
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import AuditEvent
from rohstoff.core.periods import Quarter

D = Decimal


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def test_floor_above_cap_is_refused_in_words(make_contract):
    with pytest.raises(ValidationError) as exc:
        make_contract(floor=D("12000"), cap=D("9000"))
    assert "floor" in errors_of(exc) and "above the cap" in errors_of(exc)["floor"][0]
    assert not OfftakeContract.objects.exists()


def test_index_pricing_needs_an_index_and_a_quotational_period(make_contract):
    with pytest.raises(ValidationError) as exc:
        make_contract(pricing_type="index", fixed_price=None)
    assert set(errors_of(exc)) >= {"index", "quotational_period"}


def test_fixed_pricing_needs_a_price(make_contract):
    with pytest.raises(ValidationError) as exc:
        make_contract(fixed_price=None)
    assert "fixed_price" in errors_of(exc)


def test_the_index_must_price_the_contract_material(make_contract, desk, li2co3):
    index = PriceIndex.objects.create(
        code="x", name="Li2CO3", provider="Demo", material=li2co3, currency="USD", unit="t"
    )
    with pytest.raises(ValidationError) as exc:
        make_contract(pricing_type="index", fixed_price=None, index=index, quotational_period="Q")
    assert "index" in errors_of(exc)


def test_term_outside_the_round_and_material_outside_the_round(make_contract, db):
    from rohstoff.core.models import Material

    with pytest.raises(ValidationError) as exc:
        make_contract(start_quarter=Quarter(2030, 1).index, end_quarter=Quarter(2030, 4).index)
    assert "does not overlap" in errors_of(exc)["start_quarter"][0]
    with pytest.raises(ValidationError) as exc:
        make_contract(material=Material.objects.get(code="gallium"))
    assert "material" in errors_of(exc)


def test_last_quarter_before_first(make_contract):
    with pytest.raises(ValidationError) as exc:
        make_contract(start_quarter=Quarter(2027, 4).index, end_quarter=Quarter(2027, 1).index)
    assert "end_quarter" in errors_of(exc)


def test_every_transition_is_audit_logged_and_order_is_enforced(make_contract, desk, sign):
    contract = make_contract()
    with pytest.raises(StateConflict):
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="active")
    contract = sign(contract, signed_on=datetime.date(2026, 3, 1), activate=True)
    assert contract.state == ContractState.ACTIVE and contract.signed_on == datetime.date(
        2026, 3, 1
    )
    contract = offtake_services.contract_transition(
        contract=contract, actor=desk, to_state="completed"
    )
    actions = list(
        AuditEvent.objects.filter(
            object_type="contracts.offtakecontract", object_id=str(contract.pk)
        )
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "contract.create",
        "contract.schedule",
        "contract.negotiating",
        "contract.signed",
        "contract.active",
        "contract.completed",
    ]
    signed = AuditEvent.objects.get(action="contract.signed", object_id=str(contract.pk))
    assert signed.before["state"] == "negotiating" and signed.after["state"] == "signed"
    with pytest.raises(StateConflict):
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="terminated")


def test_signing_needs_a_schedule_that_adds_up(make_contract, desk):
    contract = make_contract()
    offtake_services.contract_transition(contract=contract, actor=desk, to_state="negotiating")
    with pytest.raises(StateConflict) as exc:
        offtake_services.contract_transition(contract=contract, actor=desk, to_state="signed")
    assert "schedule" in str(exc.value)


def test_signed_terms_are_fixed(make_contract, sign, desk):
    contract = sign(make_contract())
    with pytest.raises(StateConflict):
        offtake_services.contract_update(contract=contract, actor=desk, annual_volume_t=D("50"))


def test_schedule_set_refuses_what_does_not_add_up_and_changes_nothing(make_contract, desk):
    contract = make_contract()
    offtake_services.schedule_generate(contract=contract, actor=desk)
    q = Quarter(2027, 1).index
    with pytest.raises(ValidationError) as exc:
        offtake_services.schedule_set(
            contract=contract,
            actor=desk,
            entries={q: D("30"), q + 1: D("10"), q + 2: D("10"), q + 3: D("10")},
        )
    assert "60" in exc.value.messages[0]
    assert list(contract.schedule.values_list("quantity_t", flat=True)) == [D("10")] * 4


def test_deliveries_need_a_signed_contract_and_a_scheduled_quarter(make_contract, sign, desk):
    contract = make_contract()
    with pytest.raises(StateConflict):
        delivery_services.delivery_record(
            contract=contract, actor=desk, delivered_on=datetime.date(2026, 1, 5), quantity_t=D("5")
        )
    contract = sign(contract)
    with pytest.raises(ValidationError) as exc:
        delivery_services.delivery_record(
            contract=contract, actor=desk, delivered_on=datetime.date(2026, 1, 5), quantity_t=D("5")
        )
    assert "quarter" in exc.value.message_dict  # 2026-Q1 is not scheduled
    with pytest.raises(ValidationError):
        delivery_services.delivery_record(
            contract=contract,
            actor=desk,
            quarter=Quarter(2027, 1).index,
            delivered_on=datetime.date(2026, 1, 5),
            quantity_t=D("0"),
        )


def test_invoice_state_follows_the_prices(make_contract, sign, desk):
    contract = sign(make_contract())
    delivery = delivery_services.delivery_record(
        contract=contract,
        actor=desk,
        quarter=Quarter(2027, 1).index,
        delivered_on=datetime.date(2026, 1, 5),
        quantity_t=D("9"),
        provisional_price=D("12000"),
    )
    assert delivery.invoice_state == "provisional"
    delivery = delivery_services.delivery_update(
        delivery=delivery, actor=desk, final_price=D("12500")
    )
    assert delivery.invoice_state == "final"


def flag_setup(make_contract, sign, desk):
    """Three past quarters on 2027-10-02: Q1 complete, Q2 short (15 of 20, tolerance 5 %), Q3 late."""
    contract = sign(make_contract(annual_volume_t=D("80")))
    delivery_services.delivery_record(
        contract=contract,
        actor=desk,
        quarter=Quarter(2027, 1).index,
        delivered_on=datetime.date(2026, 2, 1),
        quantity_t=D("19.5"),
    )
    delivery_services.delivery_record(
        contract=contract,
        actor=desk,
        quarter=Quarter(2027, 2).index,
        delivered_on=datetime.date(2026, 2, 2),
        quantity_t=D("15"),
    )
    return contract


def test_late_and_short_are_flagged_once_and_the_desk_is_told(
    make_contract, sign, desk, settings, django_capture_on_commit_callbacks
):
    contract = flag_setup(make_contract, sign, desk)
    with django_capture_on_commit_callbacks(execute=True):
        flags = delivery_services.deliveries_flag(today=datetime.date(2027, 10, 2))
    assert sorted((f.entry.period.quarter, f.status) for f in flags) == [(2, "short"), (3, "late")]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [settings.TRADING_DESK_EMAIL]
    assert "OFF-T-001" in mail.outbox[0].body and "2027-Q3" in mail.outbox[0].body
    assert mail.outbox[0].subject == "[Rohstoff] 2 Lieferungen verspätet oder zu gering"
    assert "Die tägliche Prüfung vom 02.10.2027 hat gefunden:" in mail.outbox[0].body
    assert settings.SITE_URL + "/contracts/due/" in mail.outbox[0].body
    # The next day: nothing new, no second e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_services.deliveries_flag(today=datetime.date(2027, 10, 3)) == []
    assert len(mail.outbox) == 1
    # The short quarter is made up: its flag goes away.
    delivery_services.delivery_record(
        contract=contract,
        actor=desk,
        quarter=Quarter(2027, 2).index,
        delivered_on=datetime.date(2026, 2, 3),
        quantity_t=D("4.5"),
    )
    delivery_services.deliveries_flag(today=datetime.date(2027, 10, 4))
    assert list(ScheduleFlag.objects.values_list("status", flat=True)) == ["late"]


def test_correcting_a_delivery_of_a_short_quarter_does_not_alert_the_desk_again(
    make_contract, sign, desk, django_capture_on_commit_callbacks
):
    contract = flag_setup(make_contract, sign, desk)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.deliveries_flag(today=datetime.date(2027, 10, 2))
    assert len(mail.outbox) == 1
    # The final invoice of the short quarter's delivery arrives; the quarter is still short.
    short = contract.deliveries.get(quarter=Quarter(2027, 2).index)
    delivery_services.delivery_update(delivery=short, actor=desk, final_price=D("12500"))
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_services.deliveries_flag(today=datetime.date(2027, 10, 3)) == []
    assert len(mail.outbox) == 1
    assert sorted(ScheduleFlag.objects.values_list("status", flat=True)) == ["late", "short"]


def test_nothing_is_flagged_before_a_quarter_is_over(make_contract, sign, desk):
    flag_setup(make_contract, sign, desk)
    assert delivery_services.deliveries_flag(today=datetime.date(2027, 6, 30)) == []


def test_the_beat_task_runs_the_check(make_contract, sign, desk, monkeypatch):
    from contracts import tasks

    flag_setup(make_contract, sign, desk)
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: datetime.date(2027, 10, 2)
    )
    assert tasks.flag_deliveries.apply().get() == {"flagged": 2}
    assert tasks.flag_deliveries.apply().get() == {"flagged": 0}
    assert tasks.close_due_allocations.apply().get() == {"deemed_confirmed": 0}


def _demo_index(desk, material, *, code="demo", name="Demo", unit="t"):
    """A USD price index of ``material``, created by the desk."""
    return price_services.index_create(
        actor=desk,
        code=code,
        name=name,
        provider="Demo",
        material=material,
        currency="USD",
        unit=unit,
    )


def test_fx_and_index_values_are_entered_by_the_desk(desk, lioh):
    index = _demo_index(desk, lioh, code="demo-lioh", name="LiOH", unit="kg")
    price_services.index_value_set(
        actor=desk, index=index, date=datetime.date(2026, 1, 5), value=D("11.5")
    )
    price_services.index_value_set(
        actor=desk, index=index, date=datetime.date(2026, 1, 5), value=D("11.7")
    )
    assert list(index.values.values_list("value", flat=True)) == [D("11.7")]
    with pytest.raises(ValidationError):
        price_services.fx_rate_set(
            actor=desk, currency="EUR", date=datetime.date(2026, 1, 5), per_eur=D("1")
        )
    with pytest.raises(ValidationError):
        price_services.fx_rate_set(
            actor=desk, currency="USD", date=datetime.date(2026, 1, 5), per_eur=D("0")
        )
    assert AuditEvent.objects.filter(action="price_index.value").count() == 2


def test_the_price_list_says_its_last_column_is_a_date(login, desk, lioh):
    """The index list's last column is the date of the latest value, and its heading says so:
    under "Latest value" a date read as if it were the price."""
    index = _demo_index(desk, lioh)
    price_services.index_value_set(
        actor=desk, index=index, date=datetime.date(2026, 1, 5), value=D("11500")
    )
    for language, heading, day in (
        ("de", "Letzter Wert vom", "05.01.2026"),
        ("en", "Latest value on", "5 Jan 2026"),
    ):
        page = login(desk).get("/contracts/prices/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<th scope="col">{heading}</th>' in page
        assert f'data-label="{heading}">{day}</td>' in page


def test_numbers_the_columns_cannot_hold_are_refused_not_rounded_or_a_500(
    login, desk, lioh, make_contract
):
    index = _demo_index(desk, lioh)
    day = datetime.date(2026, 1, 5)
    for value in (D("11.123456"), D("1e30")):
        with pytest.raises(ValidationError) as exc:
            price_services.index_value_set(actor=desk, index=index, date=day, value=value)
        assert "value" in exc.value.message_dict
    for per_eur in (D("1.12345678"), D("1e30")):
        with pytest.raises(ValidationError) as exc:
            price_services.fx_rate_set(actor=desk, currency="USD", date=day, per_eur=per_eur)
        assert "per_eur" in exc.value.message_dict
    assert not index.values.exists() and not FxRate.objects.exists()
    contract = make_contract()
    entries = {q: D("10") for q in range(contract.start_quarter, contract.end_quarter + 1)}
    entries[contract.start_quarter] = D("10.0000004")
    with pytest.raises(ValidationError) as exc:
        offtake_services.schedule_set(contract=contract, actor=desk, entries=entries)
    assert exc.value.messages[0].startswith("2027-Q1: ")
    assert not contract.schedule.exists()
    # The pages say so next to the form instead of failing.
    client = login(desk)
    response = client.post(
        f"/contracts/prices/indices/{index.pk}/values/",
        {"date": "2026-01-05", "value": "1e30"},
        follow=True,
    )
    assert response.status_code == 200 and list(response.context["messages"])
    response = client.post(
        "/contracts/prices/fx/", {"currency": "USD", "date": "2026-01-05", "per_eur": "1e30"}
    )
    assert response.status_code == 302


def test_a_desk_mailbox_that_is_a_user_reads_the_flags_in_their_language(
    make_contract, sign, desk, settings, django_capture_on_commit_callbacks
):
    from rohstoff.core.services import user_set_language

    user_set_language(user=desk, language="en")
    settings.TRADING_DESK_EMAIL = desk.email
    flag_setup(make_contract, sign, desk)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.deliveries_flag(today=datetime.date(2027, 10, 2))
    (message,) = mail.outbox
    assert message.subject == "[Rohstoff] 2 deliveries late or short"
    assert "The daily check of 2 Oct 2027 found:" in message.body
    assert ": late, scheduled" in message.body and ": short, scheduled" in message.body
