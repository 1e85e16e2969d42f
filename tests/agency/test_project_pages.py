"""Project pages: the agency creates and edits a project with its capacities per material and
fills in the ESG/HSE screen; the project page shows all of it, its stakes and its contracts; the
desk sees only approved stakes' offtake rights there; members get 404."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agency.models import EsgCheck, Project
from agency.projects import services
from rohstoff.core.models import AuditEvent, Material


def _post_project(client, url, **overrides):
    lioh = Material.objects.get(code="lithium-hydroxide")
    li2co3 = Material.objects.get(code="lithium-carbonate")
    data = {
        "name": "Whabouchi Lithium",
        "operator": "Nemaska Lithium Inc.",
        "country": "CA",
        "latitude": "51,68",
        "longitude": "-76,05",
        "stage": "construction",
        "capex": "1.300.000.000",
        "capex_currency": "CAD",
        "crma_strategic": "on",
        "description": "",
        "capacity-TOTAL_FORMS": "3",
        "capacity-INITIAL_FORMS": "0",
        "capacity-0-material": lioh.pk,
        "capacity-0-capacity_t_per_year": "34.000",
        "capacity-0-production_start_year": "2028",
        "capacity-1-material": li2co3.pk,
        "capacity-1-capacity_t_per_year": "",
        "capacity-1-production_start_year": "",
        "capacity-2-material": "",
    }
    data.update(overrides)
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="de")


def test_analyst_creates_a_project_with_capacities(login, analyst):
    client = login(analyst)
    client.cookies["django_language"] = "de"
    response = _post_project(client, "/agency/projects/new/")
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(name="Whabouchi Lithium")
    assert response["Location"] == f"/agency/projects/{project.pk}/"
    assert project.latitude == Decimal("51.68") and project.capex == Decimal("1300000000")
    assert project.crma_strategic and project.capex_currency == "CAD"
    rows = {r.material.code: r for r in project.material_capacities.select_related("material")}
    assert rows["lithium-hydroxide"].capacity_t_per_year == Decimal("34000")
    assert rows["lithium-hydroxide"].production_start_year == 2028
    assert rows["lithium-carbonate"].capacity_t_per_year is None
    event = AuditEvent.objects.get(action="project.create")
    assert event.after["capacities"][1]["capacity_t_per_year"] == "34000.000000"
    page = client.get(f"/agency/projects/{project.pk}/").content.decode()
    assert "34.000" in page and "2028" in page and "CRMA" in page


def test_edit_replaces_capacities_and_is_audited(login, analyst, project):
    client = login(analyst)
    li2co3 = Material.objects.get(code="lithium-carbonate")
    response = _post_project(
        client,
        f"/agency/projects/{project.pk}/edit/",
        **{
            "name": project.name,
            "capacity-TOTAL_FORMS": "1",
            "capacity-0-material": li2co3.pk,
            "capacity-0-capacity_t_per_year": "1000",
            "capacity-0-production_start_year": "2029",
        },
    )
    assert response.status_code == 302
    assert [m.code for m in project.materials.all()] == ["lithium-carbonate"]
    event = AuditEvent.objects.filter(action="project.update").get()
    assert event.before["capacities"][0]["material"] == "lithium-hydroxide"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"latitude": "91"}, "latitude"),
        ({"longitude": ""}, "longitude"),
        ({"capacity-1-material": ""}, None),  # fine: an empty row is skipped
    ],
)
def test_bad_coordinates_are_refused(login, analyst, overrides, field):
    client = login(analyst)
    response = _post_project(client, "/agency/projects/new/", **overrides)
    if field is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Project.objects.exists()


def test_a_material_listed_twice_is_refused(login, analyst):
    lioh = Material.objects.get(code="lithium-hydroxide")
    response = _post_project(
        login(analyst), "/agency/projects/new/", **{"capacity-1-material": lioh.pk}
    )
    assert response.status_code == 200 and not Project.objects.exists()
    assert "zweimal" in response.content.decode() or "twice" in response.content.decode()


def test_the_service_refuses_other_roles(desk, project):
    with pytest.raises(PermissionDenied):
        services.project_save(
            actor=desk, project=project, name="X", operator="Y", country="DE", stage="production"
        )


def test_esg_screen(login, analyst, project):
    client = login(analyst)
    page = client.get(f"/agency/projects/{project.pk}/esg/").content.decode()
    assert "IRMA" in page
    data = {
        "environmental_permit-status": "pass",
        "environmental_permit-note": "Granted 2024.",
        "tailings_standard-status": "concern",
        "tailings_standard-note": "",
        "community_consultation-status": "not_assessed",
        "conflict_area-status": "not_assessed",
        "labour-status": "not_assessed",
        "certification-status": "fail",
        "certification-note": "No IRMA audit planned.",
    }
    response = client.post(f"/agency/projects/{project.pk}/esg/", data)
    assert response.status_code == 200  # a concern needs a note
    assert not EsgCheck.objects.exists()
    data["tailings_standard-note"] = "Upstream dam; GISTM gap analysis pending."
    response = client.post(f"/agency/projects/{project.pk}/esg/", data)
    assert response.status_code == 302
    checks = {c.item: c for c in EsgCheck.objects.all()}
    assert set(checks) == {"environmental_permit", "tailings_standard", "certification"}
    assert checks["tailings_standard"].status == "concern"
    assert checks["tailings_standard"].assessed_by == analyst
    event = AuditEvent.objects.get(action="project.esg_screen")
    assert event.after["certification"] == {"status": "fail", "note": "No IRMA audit planned."}
    # The same screen again changes nothing and writes no event.
    client.post(f"/agency/projects/{project.pk}/esg/", data)
    assert AuditEvent.objects.filter(action="project.esg_screen").count() == 1
    page = client.get(f"/agency/projects/{project.pk}/").content.decode()
    assert "GISTM gap analysis pending" in page


def test_esg_service_refuses_unknown_items(analyst, project):
    with pytest.raises(ValidationError):
        services.esg_screen_save(
            actor=analyst, project=project, checks={"bribery": {"status": "pass"}}
        )


def test_project_page_shows_stakes_to_the_agency_and_only_offtake_rights_to_the_desk(
    login, analyst, desk, project, make_stake, make_contract
):
    approved = make_stake(project)
    make_stake(
        project,
        stage="committee",
        instrument="shareholder_loan",
        amount="77700000",
        offtake=False,
    )
    contract = make_contract(project=project)
    contract.stake = approved
    contract.save()
    agency_page = login(analyst).get(f"/agency/projects/{project.pk}/").content.decode()
    assert "77.700.000,00" in agency_page or "77,700,000.00" in agency_page
    assert contract.reference in agency_page
    desk_page = login(desk).get(f"/agency/projects/{project.pk}/").content.decode()
    assert "77,700,000" not in desk_page and "77.700.000" not in desk_page
    assert "50,000,000" not in desk_page and "50.000.000" not in desk_page
    assert "5,000" in desk_page or "5.000" in desk_page  # the offtake right
    assert contract.reference in desk_page
    assert f"/agency/stakes/{approved.pk}/monitoring/" not in desk_page


def test_members_get_404_everywhere(login, api, member_a, member_admin_a, project):
    for user in (member_a, member_admin_a):
        client = login(user)
        for url in (
            "/agency/projects/",
            "/agency/projects/new/",
            f"/agency/projects/{project.pk}/",
            f"/agency/projects/{project.pk}/edit/",
            f"/agency/projects/{project.pk}/esg/",
        ):
            assert client.get(url).status_code == 404, url
        assert api(user).get("/api/v1/projects/").status_code == 404


def test_desk_and_ministry_may_not_write(login, desk, ministry, project):
    for user in (desk, ministry):
        client = login(user)
        assert client.get("/agency/projects/new/").status_code == 403
        assert client.get(f"/agency/projects/{project.pk}/esg/").status_code == 403
