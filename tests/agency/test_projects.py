"""Agency projects: the agency and the desk read them (pages and API), contracts link to them,
nobody else sees them."""

import pytest

from agency import demo
from agency.models import Project


@pytest.fixture
def projects(db, analyst):
    return demo.seed({"users": {"analyst@agentur.example": analyst}})["projects"]


def test_demo_seed_is_safe_to_run_twice(projects, analyst):
    demo.seed({"users": {"analyst@agentur.example": analyst}})
    assert Project.objects.count() == len(demo.PROJECTS)
    yilgarn = projects["Yilgarn Rare Earths Project"]
    assert yilgarn.country.code == "AU" and yilgarn.materials.filter(code="ndpr-oxide").exists()


def test_agency_and_desk_read_projects(login, analyst, desk, projects):
    project = projects["Salar Andino Lithium"]
    for user in (analyst, desk):
        client = login(user)
        listing = client.get("/agency/projects/").content.decode()
        assert "Salar Andino Lithium" in listing and "Great Lakes Black Mass Recycling" in listing
        assert client.get(f"/agency/projects/{project.pk}/").status_code == 200
    assert login(analyst).get("/agency/projects/999999/").status_code == 404
    filtered = login(analyst).get("/agency/projects/?stage=recycling").content.decode()
    assert "Great Lakes" in filtered and "Salar Andino Lithium" not in filtered
    by_operator = login(analyst).get("/agency/projects/?q=Litio").context["projects"]
    assert [p.name for p in by_operator] == ["Salar Andino Lithium"]


def test_members_and_ministry_do_not(login, member_a, ministry, projects):
    assert login(member_a).get("/agency/projects/").status_code == 404
    assert login(ministry).get("/agency/projects/").status_code == 403


def test_project_api(api, analyst, member_a, projects):
    data = api(analyst).get("/api/v1/projects/").json()
    names = [row["name"] for row in data["results"]]
    assert names == sorted(names) and len(names) == len(demo.PROJECTS)
    row = next(r for r in data["results"] if r["name"] == "Salar Andino Lithium")
    assert row["country"] == "CL" and set(row["materials"]) == {
        "lithium-carbonate",
        "lithium-hydroxide",
    }
    assert api(member_a).get("/api/v1/projects/").status_code == 404
    assert api(None).get("/api/v1/projects/").status_code == 401


def test_contract_links_to_its_project(login, desk, make_contract, projects):
    project = projects["Salar Andino Lithium"]
    contract = make_contract(project=project)
    assert (
        f"/agency/projects/{project.pk}/"
        in login(desk).get(f"/contracts/{contract.pk}/").content.decode()
    )
    assert contract.reference in login(desk).get(f"/agency/projects/{project.pk}/").content.decode()
