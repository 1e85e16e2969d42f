"""Code and the public API point to the repository's own docs/, never to a file outside it."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "node_modules", "staticfiles"}
OUTSIDE = re.compile(r"\bDESIGN\b|product design|\.\./shared|/work/shared")
DOC_LINK = re.compile(r"\bdocs/([\w-]+\.md)")


def sources() -> list[Path]:
    return [
        path
        for pattern in ("*.py", "*.html")
        for path in ROOT.rglob(pattern)
        if not SKIP.intersection(path.relative_to(ROOT).parts) and path != Path(__file__).resolve()
    ]


def test_no_source_file_points_outside_the_repository():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_every_docs_page_the_code_names_exists():
    named = {name for path in sources() for name in DOC_LINK.findall(path.read_text("utf-8"))}
    assert named, "the code names no docs page at all"
    assert sorted(name for name in named if not (ROOT / "docs" / name).exists()) == []


def test_the_public_api_schema_names_no_file_outside_the_repository(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    assert yaml.safe_load(schema)["paths"]
    assert not OUTSIDE.search(schema)
