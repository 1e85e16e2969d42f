"""A member firm's ERP developer generates a client from our schema (openapi-python-client) and
runs the member's flow with it against a live server: accept the terms, enter lines, upload a
file, read its own lines, read the positions of an aggregated round. Errors keep their message.
"""

import datetime
import importlib
import io
import json
import pkgutil
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_CONFIG = "project_name_override: rohstoff-client\npackage_name_override: rohstoff_client\npost_hooks: []\n"


@pytest.fixture
def generated_client(live_server, tmp_path, monkeypatch):
    """The package openapi-python-client generates from /api/schema/, importable."""
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as response:  # noqa: S310
        (tmp_path / "schema.json").write_bytes(response.read())
    (tmp_path / "config.yaml").write_text(CLIENT_CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--output-path",
            str(tmp_path / "rohstoff_client"),
            "--meta",
            "none",
            "--config",
            str(tmp_path / "config.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.split(".")[0] == "rohstoff_client"]:
        del sys.modules[name]
    package = importlib.import_module("rohstoff_client")
    yield package
    for name in [m for m in sys.modules if m.split(".")[0] == "rohstoff_client"]:
        del sys.modules[name]


def endpoint(name):
    tag = name.split("_", 1)[0]
    return importlib.import_module(f"rohstoff_client.api.{tag}.{name}")


def body_type(module):
    import inspect

    return inspect.signature(module.sync_detailed).parameters["body"].annotation


@pytest.fixture
def rounds(desk, member_a, member_b, make_org):
    """An open round for the member's entries, and an aggregated one with a hidden cell."""
    from industry.models import DemandLine, DemandRound
    from industry.rounds import services
    from rohstoff.core.models import Material
    from rohstoff.core.periods import Quarter
    from tradinghouse.services import aggregation_start

    now = timezone.now()
    lioh = Material.objects.get(code="lithium-hydroxide")
    open_round = services.round_open(
        round=services.round_create(
            actor=desk,
            title="ERP round",
            materials=[lioh],
            first_period=Quarter(2027, 1),
            last_period=Quarter(2028, 4),
            opens_at=now - datetime.timedelta(hours=1),
            closes_at=now + datetime.timedelta(days=14),
        ),
        actor=desk,
    )
    closed = DemandRound.objects.create(
        title="ERP aggregated",
        first_quarter=Quarter(2027, 1).index,
        last_quarter=Quarter(2027, 4).index,
        state="closed",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=1),
        created_by=desk,
    )
    closed.materials.set([lioh])
    firms = [member_a.organisation, member_b.organisation] + [
        make_org(f"ERP Firma {i}", "member") for i in range(4)
    ]
    for n, firm in enumerate(firms):
        for q in (1, 2, 3) if n < 3 else (1, 2):  # 2027-Q3: three firms, hidden
            quarter = Quarter(2027, q)
            DemandLine.objects.create(
                round=closed,
                organisation=firm,
                material=lioh,
                period=str(quarter),
                first_quarter=quarter.index,
                is_year=False,
                quantity=Decimal(10 + n),
                unit="t",
                quantity_t=Decimal(10 + n),
                commitment="firm",
                entered_by=desk,
            )
    aggregation_start(round=closed, actor=desk)  # in-process; committed (transactional test)
    return open_round, closed


def test_every_endpoint_module_of_the_generated_client_imports(generated_client):
    api = importlib.import_module("rohstoff_client.api")
    modules = [m.name for m in pkgutil.walk_packages(api.__path__, "rohstoff_client.api.")]
    assert len(modules) > 50
    for name in modules:
        importlib.import_module(name)  # fails on a body offered as JSON, form and multipart


def test_a_member_runs_its_flow_with_the_generated_client(
    generated_client, live_server, member_a, rounds
):
    from rohstoff.core.services import api_token_create

    open_round, closed = rounds
    _token, key = api_token_create(user=member_a, name="ERP")
    client = generated_client.AuthenticatedClient(
        base_url=live_server.url, token=key, prefix="Token"
    )
    types = importlib.import_module("rohstoff_client.types")

    # terms, then two lines
    terms = endpoint("rounds_terms_create").sync_detailed(id=open_round.pk, client=client)
    assert terms.status_code in (200, 201), terms.content
    create = endpoint("rounds_demand_create")
    Line = body_type(create)
    for period, quantity in (("2027", "40"), ("2028-Q3", "12.5")):
        answer = create.sync_detailed(
            round_pk=open_round.pk,
            client=client,
            body=Line.from_dict(
                {
                    "material": "lithium-hydroxide",
                    "period": period,
                    "quantity": quantity,
                    "unit": "t",
                }
            ),
        )
        assert answer.status_code == 201, answer.content
        assert answer.parsed.period == period

    # a field error keeps its message
    refused = create.sync_detailed(
        round_pk=open_round.pk,
        client=client,
        body=Line.from_dict(
            {"material": "lithium-hydroxide", "period": "2035", "quantity": "1", "unit": "t"}
        ),
    )
    assert refused.status_code == 400
    assert refused.parsed is not None
    assert refused.parsed.to_dict()["period"], refused.content

    # a file
    upload = endpoint("rounds_demand_upload_create")
    Upload = body_type(upload)
    csv = b"material,period,quantity,unit\nlithium-hydroxide,2028-Q1,7.5,t\n"
    uploaded = upload.sync_detailed(
        round_pk=open_round.pk,
        client=client,
        body=Upload(
            file=types.File(payload=io.BytesIO(csv), file_name="demand.csv", mime_type="text/csv")
        ),
    )
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.parsed.created == 1

    # its own lines
    lines = endpoint("rounds_demand_list").sync_detailed(round_pk=open_round.pk, client=client)
    assert lines.status_code == 200, lines.content
    listed = lines.parsed.results if hasattr(lines.parsed, "results") else lines.parsed
    assert sorted(line.period for line in listed) == ["2027", "2028-Q1", "2028-Q3"]

    # positions of the aggregated round: a member gets disclosed and hidden cells, no reasons
    positions = endpoint("rounds_positions_list")
    cells = positions.sync_detailed(id=closed.pk, client=client)
    assert cells.status_code == 200, cells.content
    assert {c.period for c in cells.parsed} == {"2027-Q1", "2027-Q2", "2027-Q3"}
    assert {c.disclosed for c in cells.parsed} == {True, False}
    assert "hidden_reason" not in json.loads(cells.content)[0]
    by = importlib.import_module("rohstoff_client.models.rounds_positions_list_by")
    elements = positions.sync_detailed(
        id=closed.pk, client=client, by=by.RoundsPositionsListBy("element")
    )
    assert elements.status_code == 200, elements.content
    assert {c.element for c in elements.parsed} == {"Li"}

    # an object it may not see: 404 with the message
    missing = endpoint("rounds_retrieve").sync_detailed(id=closed.pk + 1000, client=client)
    assert missing.status_code == 404
    assert missing.parsed.detail
