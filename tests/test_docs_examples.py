"""Every code example of the documentation runs, so the docs cannot rot.

Each page (``docs/**/*.md`` and ``README.md``) runs in a fresh folder that holds
``portfolio.json``, the complete example of docs/file-format.md, which the pages
use as "your portfolio", and ``bad.json``, the same with the two mistakes
docs/cli.md describes. In that folder, in page order:

- every ```` ```python ```` block runs, the blocks of a page sharing one namespace
  (a page is a tutorial: later blocks use what earlier ones made). A block
  quoted verbatim from a file of the example plugin, tests/plugins/ (as
  docs/plugin-guide.md does), runs in a namespace made by running that file, as
  it is a fragment of it;
- a block with a title, ```` ```toml title="bad.toml" ````, is a file: it is
  written into the folder for the examples after it;
- every ``$ kamcore …`` line of a ```` ```console ```` block runs through the CLI's
  ``main()``: its exit status must be 0 unless the shown output says
  ``kamcore: error:`` (or ``kamcore COMMAND: error:``), and every output line
  shown (but lines with ``…``, which stands for what is left out) must come
  out, in that order. The ``kamcore …`` lines of a ``bash`` or ``sh`` block
  run too, and must succeed. Commands that name a live CRM (``zoho:…``) are
  not run.

The ``>>>`` examples in the docstrings of every module, which the API reference
shows, run as doctests.

A block opts out with the attribute-list fence ```` ```{.python .no-run
data-reason="why"} ```` (or ``.console``); the reason is required, and
``test_few_examples_opt_out`` keeps the count of such blocks near zero.
"""

from __future__ import annotations

import doctest
import importlib
import json
import pkgutil
import re
import runpy
import shlex
from pathlib import Path
from typing import Any

import attrs
import pytest

import kamcore
import kamcore_adapters
from kamcore.cli import main

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(path for path in DOCS.rglob("*.md") if "hooks" not in path.parts)
PAGES.append(ROOT / "README.md")
MAX_OPTED_OUT = 4
# Commands whose arguments name a live CRM: running them needs credentials and a network.
LIVE_SCHEMES = ("zoho:", "fxiaoke:")

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
# What the CLI prints first on an error: `kamcore: error:`, `kamcore accounts: error:` (usage).
_ERROR = re.compile(r"^kamcore(?: [a-z]+)*: error:")
_TITLE = re.compile(r'title="(?P<name>[^"/]+)"')
_ATTRIBUTES = re.compile(r"^\{(?P<attributes>[^}]*)\}$")


@attrs.frozen
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    language: str
    code: str
    opted_out: str | None  # the reason given with .no-run, or None
    title: str | None = None  # a file name: the block is a file the following examples use

    @property
    def name(self) -> str:
        """Where the block is, for test ids and messages."""
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _language_and_opt_out(info: str) -> tuple[str, str | None]:
    """The block's language, and the reason it opts out (``None`` when it runs)."""
    attributes = _ATTRIBUTES.match(info.strip())
    if not attributes:
        return (info.split() or [""])[0], None
    words = shlex.split(attributes["attributes"])
    classes = [word[1:] for word in words if word.startswith(".")]
    values = dict(word.split("=", 1) for word in words if "=" in word)
    language = classes[0] if classes else ""
    if "no-run" not in classes:
        return language, None
    return language, values.get("data-reason", "")


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of *page*, in order."""
    text = page.read_text(encoding="utf-8")
    found = []
    for fence in _FENCE.finditer(text):
        language, opted_out = _language_and_opt_out(fence["info"])
        indent = len(fence["indent"])
        code = "".join(line[indent:] for line in fence["body"].splitlines(keepends=True))
        line = text.count("\n", 0, fence.start()) + 1
        title = _TITLE.search(fence["info"])
        found.append(Block(page, line, language, code, opted_out, title and title["name"]))
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]
SHELLS = ("bash", "sh", "shell")
RUNNABLE = ("python", "console", *SHELLS)


# -------------------------------------------------------------------------------------------------
# Running a page
# -------------------------------------------------------------------------------------------------


def complete_example() -> str:
    """The complete example portfolio of docs/file-format.md."""
    page = DOCS / "file-format.md"
    section = page.read_text(encoding="utf-8").split("## A complete example", 1)[1]
    return next(b.code for b in blocks(page) if b.language == "json" and b.code in section)


def fixtures() -> dict[str, str]:
    """The files the pages read without showing them, by name.

    ``bad.json`` is ``portfolio.json`` with the two mistakes docs/cli.md
    describes: the request R-1 has no UTC offset, and KA-002 has no owner.
    """
    portfolio = complete_example()
    bad = json.loads(portfolio)
    bad["accounts"][0]["events"][0]["at"] = "2024-03-04T10:00:00"
    del bad["accounts"][1]["owner"]
    return {"portfolio.json": portfolio, "bad.json": json.dumps(bad, ensure_ascii=False)}


def quoted_file(code: str) -> Path | None:
    """The example plugin's Python file that holds *code* verbatim, if one does."""
    for path in sorted((ROOT / "tests" / "plugins").rglob("*.py")):
        if code in path.read_text(encoding="utf-8"):
            return path
    return None


def run_python(block: Block, namespace: dict[str, Any]) -> None:
    """Run a Python block: in the page's namespace, or in that of the file it quotes."""
    source = quoted_file(block.code)
    if source is not None:
        namespace = runpy.run_path(str(source), run_name=f"quoted_{source.stem}")
    exec(compile(block.code, block.name, "exec"), namespace)


def console_commands(block: Block) -> list[tuple[str, list[str]]]:
    """The ``$ …`` commands of a console block, each with the output lines shown after it.

    A shell script block shows no output: its ``kamcore …`` lines are its commands.
    """
    if block.language in SHELLS:
        return [(line, []) for line in block.code.splitlines() if line.startswith("kamcore ")]
    commands: list[tuple[str, list[str]]] = []
    for line in block.code.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line.rstrip())
    return commands


def run_command(
    block: Block, command: str, shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Run one ``kamcore …`` command and compare it with what the page shows."""
    words = shlex.split(command)
    if words[0] != "kamcore" or any(word.startswith(LIVE_SCHEMES) for word in words):
        return  # not kamcore (python -m pytest…), or a live CRM: nothing cheap to run
    redirect = words.index(">") if ">" in words else None
    argv = words[1:redirect]
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    if redirect is not None:
        Path(words[redirect + 1]).write_text(out, encoding="utf-8")
    actual = [line.rstrip() for line in (err + out).splitlines()]
    expects_error = any(_ERROR.match(line) for line in shown)
    assert (status != 0) == expects_error, f"{block.name}: `{command}` exited {status}:\n{err}{out}"
    expected = [line for line in shown if line.strip() and "…" not in line]
    remaining = iter(actual)
    missing = [line for line in expected if not any(line == got for got in remaining)]
    assert not missing, (
        f"{block.name}: `{command}` printed something else than the page shows.\n"
        f"not printed (in this order): {missing}\nprinted:\n" + "\n".join(actual)
    )


def runnable(page: Path) -> list[Block]:
    """The blocks of *page* that run, in order."""
    return [b for b in blocks(page) if (b.language in RUNNABLE or b.title) and b.opted_out is None]


PAGES_WITH_EXAMPLES = [page for page in PAGES if runnable(page)]


@pytest.mark.parametrize(
    "page", PAGES_WITH_EXAMPLES, ids=[str(page.relative_to(ROOT)) for page in PAGES_WITH_EXAMPLES]
)
def test_the_examples_of_the_page_run(
    page: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAMCORE_LEDGER", raising=False)
    monkeypatch.delenv("KAMCORE_DISABLE_PLUGINS", raising=False)
    for name, text in fixtures().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in runnable(page):
        if block.title:
            Path(block.title).write_text(block.code, encoding="utf-8")
        if block.language == "python":
            run_python(block, namespace)
        else:
            for command, shown in console_commands(block):
                run_command(block, command, shown, capsys)


# -------------------------------------------------------------------------------------------------
# Docstring examples, which the API reference shows
# -------------------------------------------------------------------------------------------------

MODULES = sorted(
    info.name
    for package in (kamcore, kamcore_adapters)
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    if not info.name.endswith("__main__")  # running it is the CLI
)


@pytest.mark.parametrize("module_name", ["kamcore", "kamcore_adapters", *MODULES])
def test_the_docstring_examples_of_the_module_run(module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if (error.name or "").startswith("kamcore"):
            raise
        pytest.skip(f"needs {error.name}, which an optional extra installs")
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=report.append)
    assert not runner.failures, "".join(report)


# -------------------------------------------------------------------------------------------------
# The test itself
# -------------------------------------------------------------------------------------------------


def test_the_docs_have_runnable_examples() -> None:
    languages = [block.language for block in ALL_BLOCKS]
    assert languages.count("python") >= 20
    assert languages.count("console") >= 10


def test_few_examples_opt_out() -> None:
    opted_out = [block for block in ALL_BLOCKS if block.opted_out is not None]
    print(f"{len(opted_out)} example(s) opted out of running:")  # shown with pytest -rP
    for block in opted_out:
        print(f"  {block.name}: {block.opted_out}")
    assert all(block.opted_out for block in opted_out), "a .no-run block must give data-reason"
    assert len(opted_out) <= MAX_OPTED_OUT


def test_a_console_line_is_checked_against_the_real_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    block = Block(DOCS / "example.md", 1, "console", "$ kamcore --version\nkamcore 9.9.9\n", None)
    [(command, shown)] = console_commands(block)
    with pytest.raises(AssertionError, match="something else than the page shows"):
        run_command(block, command, shown, capsys)


def test_a_console_line_that_shows_an_error_must_fail(capsys: pytest.CaptureFixture[str]) -> None:
    code = "$ kamcore --version\nkamcore: error: no such thing\n"
    block = Block(DOCS / "example.md", 1, "console", code, None)
    [(command, shown)] = console_commands(block)
    with pytest.raises(AssertionError, match="exited 0"):
        run_command(block, command, shown, capsys)


def test_a_failing_python_block_fails() -> None:
    block = Block(DOCS / "example.md", 1, "python", "import kamcore\nkamcore.no_such_name\n", None)
    with pytest.raises(AttributeError):
        run_python(block, {})


def test_the_opt_out_marker_is_read() -> None:
    assert _language_and_opt_out('{.python .no-run data-reason="needs a CRM"}') == (
        "python",
        "needs a CRM",
    )
    assert _language_and_opt_out("python") == ("python", None)
    assert _language_and_opt_out('python title="x.py"') == ("python", None)
