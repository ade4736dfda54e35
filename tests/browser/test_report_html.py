"""The HTML report in a real browser: Debian's chromium, headless, driven over DevTools.

Deselected by default (marker ``browser``); ``nox -s browser`` runs it. Needs
``/usr/bin/chromium`` (``apt-get install -y chromium``) and the ``websocket-client``
package (in the ``dev`` extra). The page is loaded from a file with the network
unused: the test fails on any console error, uncaught exception or request that
leaves the page, and checks that every chart is drawn with a size.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

import kamcore
from kamcore.report import department_head_report

pytestmark = pytest.mark.browser

CHROMIUM: Final = Path("/usr/bin/chromium")
FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",  # chromium picks a free port and writes it down
    # Whatever a page asks for goes to a closed port on this machine, never further.
    "--proxy-server=http://127.0.0.1:9",
)
TIMEOUT: Final = 30.0
LOCAL_SCHEMES: Final = ("file:", "data:", "about:")

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: apt-get install -y chromium (Debian), then nox -s browser",
        allow_module_level=True,
    )
websocket = pytest.importorskip(
    "websocket", reason="the browser check needs websocket-client (pip install -e '.[dev]')"
)


class Page:
    """One browser tab over the DevTools protocol: commands, and the events they cause."""

    def __init__(self, socket: Any, session: str) -> None:
        self.socket = socket
        self.session = session
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def send(self, method: str, session: str | None = "", **params: Any) -> dict[str, Any]:
        """Run *method* and return its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        target = self.session if session == "" else session
        if target is not None:
            message["sessionId"] = target
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event *method* (already received or still to come)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} within {TIMEOUT} s")
            self.events.append(json.loads(self.socket.recv()))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript *expression* in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, failed loads and requests off the page."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in {"error", "assert"}:
                texts = [str(arg.get("value", arg.get("description"))) for arg in params["args"]]
                found.append(f"console.{params['type']}: {' '.join(texts)}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"log: {params['entry']['text']}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(LOCAL_SCHEMES):
                    found.append(f"request: {url}")
            elif method == "Network.loadingFailed":
                found.append(f"failed: {params.get('errorText')}")
        return found


def _devtools_address(profile: Path, browser: subprocess.Popen[bytes]) -> str:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + TIMEOUT
    while not marker.exists() or len(marker.read_text().splitlines()) < 2:
        if browser.poll() is not None:
            raise AssertionError(f"chromium exited with {browser.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"chromium did not open DevTools within {TIMEOUT} s")
        time.sleep(0.05)
    port, path = marker.read_text().splitlines()[:2]
    return f"ws://127.0.0.1:{port}{path}"


@pytest.fixture
def open_page(tmp_path: Path) -> Iterator[Any]:
    """``open_page(file)``: *file* loaded in a new headless chromium, as a :class:`Page`."""
    profile = tmp_path / "profile"
    browser = subprocess.Popen(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sockets: list[Any] = []

    def load(page_file: Path) -> Page:
        socket = websocket.create_connection(
            _devtools_address(profile, browser), timeout=TIMEOUT, suppress_origin=True
        )
        sockets.append(socket)
        page = Page(socket, session="")
        target = page.send("Target.createTarget", session=None, url="about:blank")
        attached = page.send(
            "Target.attachToTarget", session=None, targetId=target["targetId"], flatten=True
        )
        page.session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            page.send(f"{domain}.enable")
        page.send("Page.navigate", url=page_file.as_uri())
        page.wait_for("Page.loadEventFired")
        return page

    try:
        yield load
    finally:
        for socket in sockets:
            socket.close()
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck browser
            browser.kill()
            browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


CHARTS: Final = """
Array.from(document.querySelectorAll('svg')).map(svg => {
  const box = svg.getBoundingClientRect();
  const bars = Array.from(svg.querySelectorAll('rect.bar'));
  return {id: svg.id, width: box.width, height: box.height,
          bars: bars.length, drawn: bars.filter(bar => bar.getBBox().width > 0).length};
})
"""


def test_the_sample_report_loads_cleanly_with_its_charts_drawn(
    open_page: Any, tmp_path: Path
) -> None:
    sample = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO).portfolio
    assert sample.exported_at is not None
    report = department_head_report(sample, sample.exported_at)
    page_file = tmp_path / "report.html"
    page_file.write_text(report.as_html(), encoding="utf-8")
    page = open_page(page_file)
    assert page.problems() == []
    charts = {chart["id"]: chart for chart in page.evaluate(CHARTS)}
    assert set(charts) == {"health-by-owner", "escalations-by-level", "findings-by-principle"}
    for chart in charts.values():
        assert chart["width"] > 0
        assert chart["height"] > 0
        assert chart["bars"] > 0
        assert chart["drawn"] > 0
    assert charts["health-by-owner"]["bars"] == len(report.owners)
    assert page.evaluate("document.querySelectorAll('#accounts tr').length") == (
        1 + len(report.accounts)
    )
    assert page.evaluate("document.title").startswith("Key-account report as of")


def test_the_check_catches_console_errors_and_requests(open_page: Any, tmp_path: Path) -> None:
    # The check itself can fail: a page with an error, and a request off the page (to a
    # closed port on this machine).
    page_file = tmp_path / "broken.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body>"
        "<script>console.error('boom'); undefinedFunction();</script>"
        '<img src="http://127.0.0.1:9/x.png">'
        "</body></html>",
        encoding="utf-8",
    )
    problems = open_page(page_file).problems()
    assert "console.error: boom" in problems
    assert any(problem.startswith("exception:") for problem in problems)
    assert "request: http://127.0.0.1:9/x.png" in problems
