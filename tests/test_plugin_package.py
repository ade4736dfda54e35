"""The example third-party plugin package: found through its entry point like any
installed plugin, its hooks, and the plugin guide that quotes it."""

from __future__ import annotations

import json
import logging
import re
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pytest

from kamcore import get_plugin_manager
from kamcore.notices import Notice
from kamcore.plugins import DISABLE_ENV, ENTRY_POINT_GROUP
from sink_support import EXAMPLE_PACKAGE, example_sink

ROOT = Path(__file__).parent.parent
GUIDE = ROOT / "docs" / "plugin-guide.md"


@pytest.fixture
def plugin() -> ModuleType:
    return example_sink()


def code_blocks(markdown: str, language: str) -> list[str]:
    """The fenced code blocks in *language*, each with its final newline."""
    return re.findall(rf"^```{language}\n(.*?^)```$", markdown, flags=re.MULTILINE | re.DOTALL)


# -------------------------------------------------------------------------------------------------
# Discovery
# -------------------------------------------------------------------------------------------------


def test_the_plugin_is_found_through_its_entry_point(plugin: ModuleType) -> None:
    [entry_point] = entry_points(group=ENTRY_POINT_GROUP, name="example")
    assert entry_point.value == "kamcore_example_sink"

    manager = get_plugin_manager()  # nothing registered by hand

    assert manager.get_plugin("example") is plugin
    distributions = dict(manager.list_plugin_distinfo())
    assert distributions[plugin].project_name == "kamcore-example-sink"
    assert distributions[plugin].version == "0.1.0"


def test_the_plugin_can_be_disabled_by_its_name(
    plugin: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DISABLE_ENV, "example")
    manager = get_plugin_manager()
    assert manager.get_plugin("example") is None
    assert not manager.is_registered(plugin)


# -------------------------------------------------------------------------------------------------
# Messages and notices
# -------------------------------------------------------------------------------------------------


def test_its_message_catalog_is_collected(plugin: ModuleType) -> None:
    catalogs = get_plugin_manager(
        entry_points=False, plugins=[plugin]
    ).hook.kamcore_message_catalogs()
    assert catalogs == [
        {"en": {"example.record_created": "Created as record {record_id} in {sink}."}}
    ]


def notice(channel: str = "example") -> Notice:
    return Notice(
        recipient="anna",
        channel=channel,
        subject="KA-001: request unanswered",
        body="Answer the request of 2 March — 请回复。",
        account_id="KA-001",
    )


def test_notices_for_its_channel_are_appended_to_the_file(
    plugin: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "notices.jsonl"
    monkeypatch.setenv(plugin.NOTICES_ENV, str(target))
    hook = get_plugin_manager(entry_points=False, plugins=[plugin]).hook

    hook.kamcore_send_notice(notice=notice())
    hook.kamcore_send_notice(notice=notice(channel="email"))  # another channel's
    hook.kamcore_send_notice(notice=notice())

    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {
        "recipient": "anna",
        "subject": "KA-001: request unanswered",
        "body": "Answer the request of 2 March — 请回复。",
        "language": "en",
        "account_id": "KA-001",
        "finding_key": None,
    }


def test_notices_go_nowhere_without_the_variable(
    plugin: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(plugin.NOTICES_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    plugin.kamcore_send_notice(notice=notice())
    assert list(tmp_path.iterdir()) == []


def test_a_notice_it_cannot_deliver_is_logged_not_raised(
    plugin: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(plugin.NOTICES_ENV, str(tmp_path / "no such folder" / "notices.jsonl"))
    with caplog.at_level(logging.WARNING, logger="kamcore_example_sink"):
        plugin.kamcore_send_notice(notice=notice())
    assert "example channel: cannot append to" in caplog.text


# -------------------------------------------------------------------------------------------------
# The plugin guide quotes the package, so it cannot drift from it
# -------------------------------------------------------------------------------------------------

PYTHON_BLOCKS = code_blocks(GUIDE.read_text(encoding="utf-8"), "python")


def test_the_guide_quotes_the_package() -> None:
    assert len(PYTHON_BLOCKS) >= 5
    assert code_blocks(GUIDE.read_text(encoding="utf-8"), "toml")


@pytest.mark.parametrize(
    "block", PYTHON_BLOCKS, ids=[block.splitlines()[0][:40] for block in PYTHON_BLOCKS]
)
def test_every_python_block_of_the_guide_is_in_the_package_source(block: str) -> None:
    sources = [path.read_text(encoding="utf-8") for path in EXAMPLE_PACKAGE.rglob("*.py")]
    assert any(block in source for source in sources), (
        "docs/plugin-guide.md shows Python code that is not in tests/plugins/kamcore-example-sink; "
        f"copy the code from the package instead:\n{block}"
    )


def test_every_toml_block_of_the_guide_is_in_the_package_pyproject() -> None:
    pyproject = (EXAMPLE_PACKAGE / "pyproject.toml").read_text(encoding="utf-8")
    for block in code_blocks(GUIDE.read_text(encoding="utf-8"), "toml"):
        assert block in pyproject


def test_the_guide_follows_the_plugin_reference_in_the_docs_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "plugins.md\n  - Writing a plugin: plugin-guide.md\n" in nav
