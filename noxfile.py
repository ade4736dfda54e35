"""Nox sessions for kamcore: tests, lint, typing, docs and a demo run.

Run ``python3 -m nox -l`` to list them. ``python3 -m nox`` runs the default
set (tests, lint, typing); CI runs ``tests lint typing docs`` (see README.md).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typing"]
nox.options.error_on_missing_interpreters = False

# Keep in step with the `dev` extra in pyproject.toml.
RUFF = "ruff==0.17.5"
LINT_TARGETS = ("src", "tests", "benchmarks", "tools", "noxfile.py")
TEST_PLUGINS = Path("tests/plugins")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with pytest (extra arguments go to pytest)."""
    session.install("-e", ".[dev]")
    # Example third-party adapter plugins shipped for the tests, if any.
    for plugin_project in sorted(TEST_PLUGINS.glob("*/pyproject.toml")):
        session.install("-e", str(plugin_project.parent))
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check code style and formatting with ruff."""
    session.install(RUFF)
    session.run("ruff", "check", *LINT_TARGETS)
    session.run("ruff", "format", "--check", *LINT_TARGETS)


@nox.session
def typing(session: nox.Session) -> None:
    """Type-check src/ with mypy in strict mode (configured in pyproject.toml)."""
    session.install("-e", ".[dev]")
    session.run("mypy", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with mkdocs in strict mode into build/site."""
    session.install("-e", ".[docs]")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        "build/site",
        # Silence mkdocs-material's end-of-life banner; it is not a build problem.
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def demo(session: nox.Session) -> None:
    """Run the main job on the shipped sample portfolio: list, classify, review."""
    session.install("-e", ".")
    session.run("kamcore", "accounts")
    session.run("kamcore", "classify")
    session.run("kamcore", "review")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark classification against rule-engine (extra arguments go to benchmarks.classify).

    Not in the default set: it takes minutes. ``python3 -m nox -s bench -- --accounts 10000``
    for a quick run; benchmarks/README.md says how to read the figures.
    """
    session.install("-e", ".", "rule-engine==5.1.0")
    session.run("python", "-m", "benchmarks.classify", *session.posargs)
