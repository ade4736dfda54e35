"""Keep docs/review.md honest: its list of finding codes is the installed principles' codes,
and its examples run.

The list is written by hand (nothing is generated at build time); these tests fail
when a principle gains, loses or renames a code and the page was not updated, or
when a principle is installed that the page does not list.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from kamcore.model import Account, ClientFile, Interaction, Portfolio, Timeline
from kamcore.review import installed_principles, review

PAGE = Path(__file__).parent.parent / "docs" / "review.md"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
TEXT = PAGE.read_text(encoding="utf-8")
PRINCIPLES = {principle.id: principle for principle in installed_principles()}

_SECTION = re.compile(r"^### .*\(`(?P<id>[^`]+)`\)\s*$", re.M)
_ROW = re.compile(r"^\| `(?P<code>[^`]+)` \| (?P<meaning>.*) \|\s*$", re.M)


def documented_codes() -> dict[str, list[tuple[str, str]]]:
    """The codes the page lists, by principle id, with their meanings, in page order."""
    section = TEXT.split("\n## Finding codes\n", 1)[1].split("\n## ", 1)[0]
    headings = list(_SECTION.finditer(section))
    codes: dict[str, list[tuple[str, str]]] = {}
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        body = section[heading.end() : following.start() if following else None]
        codes[heading["id"]] = [(row["code"], row["meaning"]) for row in _ROW.finditer(body)]
    return codes


DOCUMENTED = documented_codes()


def test_the_page_lists_codes() -> None:
    assert DOCUMENTED, "docs/review.md has no '## Finding codes' section with tables"
    assert all(DOCUMENTED.values()), "a principle section lists no code"


@pytest.mark.parametrize("principle_id", sorted(PRINCIPLES))
def test_every_code_of_an_installed_principle_is_documented(principle_id: str) -> None:
    principle = PRINCIPLES[principle_id]
    assert principle_id in DOCUMENTED, (
        f"docs/review.md has no section '### {principle.name} (`{principle_id}`)' "
        f"listing its codes: {', '.join(principle.codes)}"
    )
    listed = {code for code, _ in DOCUMENTED[principle_id]}
    missing = [code for code in principle.codes if code not in listed]
    assert not missing, f"{principle_id}: codes missing from docs/review.md: {missing}"


@pytest.mark.parametrize("principle_id", sorted(DOCUMENTED))
def test_every_documented_code_is_yielded_by_its_principle(principle_id: str) -> None:
    assert principle_id in PRINCIPLES, (
        f"docs/review.md lists codes of {principle_id!r}, which no installed principle has"
    )
    codes = [code for code, _ in DOCUMENTED[principle_id]]
    unknown = [code for code in codes if code not in PRINCIPLES[principle_id].codes]
    assert not unknown, f"{principle_id}: docs/review.md lists codes it never yields: {unknown}"
    assert len(codes) == len(set(codes)), f"{principle_id}: a code is listed twice"
    assert all(meaning.strip() for _, meaning in DOCUMENTED[principle_id])


def test_the_python_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", TEXT, re.S)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for block in blocks:  # in order: later examples use what earlier ones made
        exec(compile(block, str(PAGE), "exec"), namespace)
    assert capsys.readouterr().out.strip()


def test_the_example_principle_finds_an_unanswered_sample() -> None:
    namespace: dict[str, Any] = {}
    block = next(b for b in re.findall(r"```python\n(.*?)```", TEXT, re.S) if "SAMPLES" in b)
    exec(compile(block, str(PAGE), "exec"), namespace)
    sent = Interaction(id="I-1", at=T0, channel="email", topics=("sample_sent",))
    client = ClientFile(
        account=Account(id="A-1", name="Acme", owner="anna"), timeline=Timeline([sent])
    )
    agenda = review(
        Portfolio(files=[client]), T0 + timedelta(days=4), principles=[namespace["SAMPLES"]]
    )
    assert [(f.code, f.severity, f.message) for f in agenda.findings] == [
        ("sample_not_followed_up", "violation", "samples.sample_not_followed_up")
    ]


def test_the_schema_file_named_by_the_page_is_shipped() -> None:
    assert "kamcore/review/agenda.schema.json" in TEXT
    assert resources.files("kamcore.review").joinpath("agenda.schema.json").is_file()
