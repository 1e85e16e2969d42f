"""Demo projects of the agency (``manage.py seed_demo``): fictional mines and a recycling plant
that the demo offtakes link to. Safe to run twice."""

from rohstoff.core.models import Material

from . import services
from .models import Project, ProjectStage

PROJECTS = [
    (
        "Yilgarn Rare Earths Project",
        "Yilgarn Rare Earths Ltd (fiktiv)",
        "AU",
        ProjectStage.PRODUCTION,
        ["ndpr-oxide", "dysprosium-oxide", "terbium-oxide"],
        "Fiktives Demo-Projekt: Tagebau und Konzentrator in Westaustralien, Trennanlage in Malaysia.",
    ),
    (
        "Salar Andino Lithium",
        "Salar Andino Litio SpA (fiktiv)",
        "CL",
        ProjectStage.CONSTRUCTION,
        ["lithium-carbonate", "lithium-hydroxide"],
        "Fiktives Demo-Projekt: Solegewinnung mit direkter Lithiumextraktion in der Atacama.",
    ),
    (
        "Great Lakes Black Mass Recycling",
        "Great Lakes Battery Recycling Inc. (fiktiv)",
        "CA",
        ProjectStage.RECYCLING,
        ["cobalt-sulphate", "lithium-carbonate", "nickel-sulphate"],
        "Fiktives Demo-Projekt: hydrometallurgisches Recycling von Batterieschwarzmasse in Ontario.",
    ),
]


def seed(context: dict) -> dict:
    actor = context.get("users", {}).get("analyst@agentur.example")
    projects = {}
    for name, operator, country, stage, materials, description in PROJECTS:
        project = Project.objects.filter(name=name).first()
        if project is None:
            project = services.project_save(
                actor=actor,
                name=name,
                operator=operator,
                country=country,
                stage=stage,
                materials=Material.objects.filter(code__in=materials),
                description=description,
            )
        projects[name] = project
    context["projects"] = projects
    return context
