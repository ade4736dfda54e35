"""Nox sessions for kamcore: tests, lint, typing, docs and a demo run.

Run ``python3 -m nox -l`` to list them. ``python3 -m nox`` runs the default
set (tests, lint, typing); CI runs ``tests lint typing browser docs`` (see README.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox
from nox.command import CommandFailed

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typing"]
nox.options.error_on_missing_interpreters = False

# Keep in step with the `dev` extra in pyproject.toml.
RUFF = "ruff==0.17.5"
LINT_TARGETS = ("src", "tests", "benchmarks", "tools", "docs/hooks", "noxfile.py")
TEST_PLUGINS = Path("tests/plugins")

# Debian's chromium, for the browser check and the docs screenshot; install it with
#     apt-get install -y chromium
# (fonts-noto-cjk too, for the Chinese names in the screenshot). Without it both
# steps are skipped with a message.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--proxy-server=http://127.0.0.1:9",  # nothing leaves the machine
)
CHROMIUM_PACKAGES = ("chromium", "fonts-noto-cjk")
REPORT_SCREENSHOT = Path("docs/img/report.png")


def _chromium_missing(session: nox.Session, step: str) -> bool:
    """Whether chromium is missing, after installing Debian's package where we may.

    CI runs on a fresh Debian machine as root: there the package is installed
    (a few minutes, once per machine). Elsewhere, or when the install fails,
    the step is skipped with a message.
    """
    if not CHROMIUM.exists() and shutil.which("apt-get") and os.geteuid() == 0:
        session.log(f"installing Debian's chromium for {step}")
        apt = {"DEBIAN_FRONTEND": "noninteractive"}
        try:
            session.run("apt-get", "update", "-qq", external=True, env=apt)
            session.run(
                "apt-get", "install", "-y", "-qq", *CHROMIUM_PACKAGES, external=True, env=apt
            )
        except CommandFailed:
            session.warn("could not install chromium with apt-get")
    if CHROMIUM.exists():
        return False
    session.log(f"{CHROMIUM} is missing, skipping {step}: apt-get install -y chromium (Debian)")
    return True


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
    """Build the documentation site with mkdocs in strict mode into build/site.

    First refreshes the report screenshot (docs/img/report.png) with headless
    chromium when /usr/bin/chromium is installed.
    """
    session.install("-e", ".[docs]")
    if not _chromium_missing(session, "the report screenshot"):
        page = Path(session.create_tmp()).resolve() / "report.html"
        session.run("kamcore", "report", "--format", "html", "--out", str(page))
        session.run(
            "timeout",
            "120",
            str(CHROMIUM),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={page.parent / 'chromium-profile'}",
            "--window-size=1500,2000",
            f"--screenshot={REPORT_SCREENSHOT.resolve()}",
            page.as_uri(),
            external=True,
            silent=True,  # chromium logs harmless D-Bus errors on a server
        )
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
def browser(session: nox.Session) -> None:
    """Load the HTML report in Debian's headless chromium: no console error, charts drawn.

    Not in the default set, but in CI's: it needs /usr/bin/chromium, which it
    installs with apt-get when run as root on Debian (CI), and skips with a
    message otherwise. Extra arguments go to pytest.
    """
    if _chromium_missing(session, "the browser check"):
        session.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (Debian)")
    session.install("-e", ".[dev]")
    session.run("pytest", "-m", "browser", "tests/browser", *session.posargs)


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


@nox.session(name="bench-scale")
def bench_scale(session: nox.Session) -> None:
    """Benchmark load, full review (1k/10k/100k accounts) and incremental review.

    Not in the default set: with the 100k-account portfolio (2M events) it takes
    several minutes and a few GiB of memory for the whole-document load baseline.
    Extra arguments go to benchmarks.scale: ``python3 -m nox -s bench-scale --
    --sizes 1000,10000`` for a quick run; benchmarks/README.md says how to read it.
    """
    session.install("-e", ".")
    session.run("python", "-m", "benchmarks.scale", *session.posargs)
