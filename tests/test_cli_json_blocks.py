"""JSON written a block at a time (``kamcore.cli._render.json_blocks``): the text of
``json.dumps(value, ensure_ascii=False, indent=2)``, with parts made only as they are
written; and every ``--format json`` of the command line written that way, unchanged.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamcore import SAMPLE_PORTFOLIO, cli, load_portfolio
from kamcore.cli._render import JsonArray, JsonObject, json_blocks
from kamcore.escalation import escalate, load_policy
from kamcore.escalation.ladder import escalator
from kamcore.review import Agenda, review

# Not ``import kamcore.cli._review``: the package's ``_review`` is the command function.
review_module = importlib.import_module("kamcore.cli._review")

POLICY = """\
[escalation]
levels = [
    { name = "owner" },
    { name = "head", role = "department_head" },
]

[escalation.delays]
violation = { business_days = 2 }
"""

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _lazy(value: Any, data: st.DataObject) -> Any:
    """*value* with some of its lists and dicts (each under lazy ones only) made lazy parts."""
    if isinstance(value, list | dict) and data.draw(st.booleans(), label="lazy"):
        if isinstance(value, list):
            return JsonArray(_lazy(element, data) for element in value)
        return JsonObject((name, _lazy(member, data)) for name, member in value.items())
    return value


@settings(max_examples=150)
@given(value=JSON, block=st.integers(1, 40), data=st.data())
def test_json_blocks_with_lazy_parts_print_the_text_of_json_dumps(
    value: Any, block: int, data: st.DataObject
) -> None:
    blocks = list(json_blocks(_lazy(value, data), block))
    assert "\n".join(blocks) == _dumps(value)
    assert all(not b.startswith("\n") and not b.endswith("\n") for b in blocks)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (JsonArray([]), "[]"),
        (JsonObject([]), "{}"),
        (JsonArray([JsonObject([])]), "[\n  {}\n]"),
        (JsonObject([("a", JsonArray([1, [2, "x\ny"]]))]), _dumps({"a": [1, [2, "x\ny"]]})),
        (JsonObject([("é", {"b": []})]), '{\n  "é": {\n    "b": []\n  }\n}'),
    ],
)
def test_json_blocks_of_edge_cases(value: Any, text: str) -> None:
    assert "\n".join(json_blocks(value, 1)) == text


def test_a_lazy_part_is_made_an_element_at_a_time() -> None:
    made: list[int] = []

    def elements() -> Iterator[dict[str, Any]]:
        for index in range(100):
            made.append(index)
            yield {"index": index, "text": "x" * 50}

    blocks = json_blocks(JsonObject([("version", 1), ("items", JsonArray(elements()))]), 200)
    first = [next(blocks) for _ in range(3)]
    assert len(made) < 10  # three blocks of about 200 characters need a few elements
    rest = list(blocks)
    assert len(made) == 100
    assert "\n".join(first + rest) == _dumps(
        {"version": 1, "items": [{"index": i, "text": "x" * 50} for i in range(100)]}
    )


# The agenda of ``kamcore review --format json``.


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(str(path))


def test_the_agenda_in_parts_is_its_document_with_every_escalation(policy: Any) -> None:
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    assert portfolio.exported_at is not None
    agenda = review(portfolio, portfolio.exported_at)
    assert all((agenda.findings, agenda.snoozed, agenda.acknowledged, agenda.health))
    # What the command printed before it wrote in parts: the whole document at once.
    document = agenda.as_dict()
    escalations = escalate(agenda, policy, portfolio=portfolio)
    assert {e.level for e in escalations} >= {0, 1}
    for values, escalation in zip(document["findings"], escalations, strict=True):
        values["escalation"] = escalation.as_dict()
    each = escalator(agenda, policy, portfolio=portfolio)
    assert "\n".join(review_module.agenda_json(agenda, each)) == _dumps(document)


def test_an_empty_agenda_in_parts_is_its_document(policy: Any) -> None:
    agenda = Agenda(as_of=datetime(2026, 11, 20, tzinfo=UTC), findings=())
    each = escalator(agenda, policy, opened={}, staff=())
    assert "\n".join(review_module.agenda_json(agenda, each)) == _dumps(agenda.as_dict())


def test_a_part_of_the_agenda_document_the_writer_does_not_know_is_refused(
    monkeypatch: pytest.MonkeyPatch, policy: Any
) -> None:
    real = Agenda.as_dict

    def grown(self: Agenda) -> dict[str, Any]:
        return {**real(self), "notes": []}

    monkeypatch.setattr(Agenda, "as_dict", grown)
    portfolio = load_portfolio(SAMPLE_PORTFOLIO).portfolio
    assert portfolio.exported_at is not None
    agenda = review(portfolio, portfolio.exported_at)
    with pytest.raises(TypeError, match="'notes'"):
        review_module.agenda_parts(agenda, escalator(agenda, policy, portfolio=portfolio))


# Every other ``--format json``: the text json.dumps gave before, byte for byte.


def _whole(value: Any, block: int = 0) -> Iterator[str]:
    """json_blocks as it was before it wrote in blocks: the whole text at once."""
    del block
    yield _dumps(value)


COMMANDS = [
    ["accounts", "--format", "json"],
    ["show", "KA-001", "--format", "json"],
    ["classify", "--format", "json"],
    ["notices", "--format", "json"],
    ["plugins", "--format", "json"],
    ["report", "--format", "json"],
    ["report", "--format", "json", "--period", "month", "--lang", "zh"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_json_of_every_command_is_the_text_of_json_dumps(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    def run() -> tuple[int, str, str]:
        return cli.main(argv), *capsys.readouterr()

    in_blocks = run()
    monkeypatch.setattr(cli, "json_blocks", _whole)
    whole = run()
    assert in_blocks == whole
    assert in_blocks[0] == 0
    assert json.loads(in_blocks[1])


def test_a_json_report_written_to_a_file_is_the_text_of_json_dumps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    written = tmp_path / "report.json"
    assert cli.main(["report", "--format", "json", "--out", str(written)]) == 0
    assert capsys.readouterr() == (f"wrote {written}\n", "")
    assert cli.main(["report", "--format", "json"]) == 0
    printed = capsys.readouterr().out
    assert written.read_text(encoding="utf-8") == printed
    monkeypatch.setattr(cli, "json_blocks", _whole)
    assert cli.main(["report", "--format", "json", "--out", str(written)]) == 0
    assert written.read_text(encoding="utf-8") == printed


@pytest.mark.parametrize("output", ["markdown", "html"])
def test_a_text_report_written_to_a_file_ends_with_one_newline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, output: str
) -> None:
    written = tmp_path / f"report.{output}"
    assert cli.main(["report", "--format", output, "--out", str(written)]) == 0
    capsys.readouterr()
    assert cli.main(["report", "--format", output]) == 0
    printed = capsys.readouterr().out
    # print adds a newline; the file gets one only if the text has none.
    expected = printed[:-1] if printed.endswith("\n\n") else printed
    assert written.read_text(encoding="utf-8") == expected
