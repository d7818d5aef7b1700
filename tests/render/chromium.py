"""Drive Debian's headless Chromium through the DevTools protocol (a websocket, JSON calls).

Playwright's own browser download is out of reach, so this speaks CDP directly with the
`websockets` package: open a page, collect console errors, exceptions and network requests,
evaluate a script, take a full-page screenshot.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-port=0")


def chromium_binary() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)


@dataclass
class PageVisit:
    """What loading one page did."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    value: object = None
    screenshot: bytes = b""


class Chromium:
    """`with Chromium() as browser: browser.visit(path, script)`; the process ends after."""

    def __init__(self, width: int = 1280, height: int = 900):
        self.width, self.height = width, height
        # its helper processes may still write there for a moment after the browser ends
        self.profile = tempfile.TemporaryDirectory(prefix="nivomigrate-chromium-",
                                                   ignore_cleanup_errors=True)
        self.ids = itertools.count(1)

    def __enter__(self) -> Chromium:
        binary = chromium_binary()
        assert binary, "chromium is not installed (apt-get install chromium)"
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port = self._port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        from websockets.sync.client import connect

        self.socket = connect(pages[0]["webSocketDebuggerUrl"], max_size=None,
                              open_timeout=30).__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.socket.close()
        self._signal(signal.SIGTERM)  # the browser and its helpers (renderer, crashpad, ...)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._signal(signal.SIGKILL)
        self.profile.cleanup()

    def _signal(self, number: int) -> None:
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:  # the group has ended
            pass

    def _port(self) -> int:
        marker = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 60  # a "no hang" bound, not a speed target
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            assert self.process.poll() is None, "chromium exited at start"
            time.sleep(0.1)
        raise AssertionError("chromium did not open its DevTools port")

    def call(self, method: str, events: list | None = None, **params) -> dict:
        """Send one command and return its result; events seen meanwhile go to `events`."""
        ident = next(self.ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == ident:
                assert "error" not in message, f"{method}: {message['error']}"
                return message.get("result", {})
            if events is not None:
                events.append(message)

    def visit(self, path: Path, script: str) -> PageVisit:
        """Load `path`, evaluate `script` (its JSON value is returned), screenshot the page."""
        events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", events)
        self.call("Emulation.setDeviceMetricsOverride", events, width=self.width,
                  height=self.height, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", events, url=path.resolve().as_uri())
        while not any(e.get("method") == "Page.loadEventFired" for e in events):
            events.append(json.loads(self.socket.recv(timeout=60)))
        visit = PageVisit()
        result = self.call("Runtime.evaluate", events, expression=script, returnByValue=True)
        visit.value = result["result"].get("value")
        size = self.call("Page.getLayoutMetrics", events)["cssContentSize"]
        shot = self.call("Page.captureScreenshot", events, format="png",
                         captureBeyondViewport=True, clip={
                             "x": 0, "y": 0, "width": self.width,
                             "height": size["height"], "scale": 1})
        visit.screenshot = base64.b64decode(shot["data"])
        visit.errors, visit.requests = _errors(events), _requests(events)
        return visit

    def screenshot(self, height: int) -> bytes:
        """Return the top `height` pixels of the page loaded last (a picture for the docs)."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": self.width,
                               "height": min(height, size["height"]), "scale": 1})
        return base64.b64decode(shot["data"])


def _errors(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value")) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(params["entry"]["text"])
    return errors


def _requests(events: list[dict]) -> list[str]:
    return [e["params"]["request"]["url"] for e in events
            if e.get("method") == "Network.requestWillBeSent"]


def png_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) from a PNG's header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
