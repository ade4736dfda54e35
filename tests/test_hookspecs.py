"""Keep the plugin surface honest: every hook is documented, in code and in the docs."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from kamcore import hookspecs

DOCS = Path(__file__).parent.parent / "docs" / "plugins.md"
HOOKS = sorted(
    (name, function)
    for name, function in vars(hookspecs).items()
    if name.startswith("kamcore_") and callable(function)
)


def test_there_are_hooks() -> None:
    assert HOOKS, "kamcore.hookspecs declares no hook"


@pytest.mark.parametrize(("name", "function"), HOOKS, ids=[name for name, _ in HOOKS])
def test_hook_is_documented_with_its_exact_signature(name: str, function: object) -> None:
    arguments = ", ".join(inspect.signature(function).parameters)  # type: ignore[arg-type]
    assert f"### `{name}({arguments})`" in DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "function"), HOOKS, ids=[name for name, _ in HOOKS])
def test_hook_docstring_says_when_what_and_whether_first_result_wins(
    name: str, function: object
) -> None:
    doc = " ".join((inspect.getdoc(function) or "").split())
    options = getattr(function, f"{hookspecs.PROJECT_NAME}_spec")
    assert "Called" in doc, f"{name}: say when the hook is called"
    assert ":return:" in doc, f"{name}: say what the hook returns"
    for parameter in inspect.signature(function).parameters:  # type: ignore[arg-type]
        assert f":param {parameter}:" in doc, f"{name}: document {parameter}"
    if options.get("firstresult"):
        assert "Stops at the first non-``None`` result" in doc
    section = DOCS.read_text(encoding="utf-8").split(f"### `{name}(", 1)[1]
    section = section.split("\n### ", 1)[0].split("\n## ", 1)[0]
    expected = "**First result wins**" if options.get("firstresult") else "**All results are used**"
    assert expected in section


def test_an_installed_plugin_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    from kamcore.plugins import DISABLE_ENV, get_plugin_manager

    assert get_plugin_manager().get_plugin("principles") is not None
    monkeypatch.setenv(DISABLE_ENV, "principles, nothing-of-that-name")
    manager = get_plugin_manager()
    assert manager.get_plugin("principles") is None
    assert manager.get_plugin("files") is not None
