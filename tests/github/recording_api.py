"""A local stand-in for GitHub's issue-comments REST API that records every call.

It keeps comments in memory, pages the list the way GitHub does (`per_page`, `page`, a
`Link: <...>; rel="next"` header), refuses bodies over 65,536 characters with 422 as GitHub
does, and can hold list calls until several clients have made one (to make runs overlap).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    path: str
    query: dict
    body: dict | None
    authorization: str | None


@dataclass
class State:
    comments: dict[int, list[dict]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    next_id: int = 1000
    hold_lists_until: int = 0  # this many list calls wait for each other once
    waiting: threading.Barrier | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class RecordingGitHub:
    """Start with `with RecordingGitHub() as api:`; `api.url` is the API's base URL."""

    def __init__(self) -> None:
        self.state = State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_comments(self, number: int, count: int, body: str = "LGTM") -> None:
        for _ in range(count):
            _store(self.state, number, body, "someone")

    def comments(self, number: int) -> list[dict]:
        return list(self.state.comments.get(number, []))

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self.state.calls if method is None or c.method == method]

    def overlap_next_lists(self, clients: int) -> None:
        """Make the next `clients` list calls wait until all of them have arrived."""
        self.state.waiting = threading.Barrier(clients, timeout=30)

def _store(state: State, number: int, body: str, user: str) -> dict:
    with state.lock:
        state.next_id += 1
        comment = {"id": state.next_id, "body": body, "user": {"login": user},
                   "html_url": f"https://github.invalid/pr/{number}#issuecomment-{state.next_id}"}
        state.comments.setdefault(number, []).append(comment)
    return comment


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, *args) -> None:  # quiet
        pass

    def _record(self) -> tuple[str, dict, dict | None]:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.state.lock:
            self.state.calls.append(Call(self.command, parts.path, query, body,
                                         self.headers.get("Authorization")))
        return parts.path, query, body

    def _send(self, status: int, document=None, headers: dict | None = None) -> None:
        data = json.dumps(document).encode() if document is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path, query, _ = self._record()
        match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", path)
        if not match:
            return self._send(404, {"message": "Not Found"})
        barrier = self.state.waiting
        if barrier is not None:
            barrier.wait()
            self.state.waiting = None
        number, per_page = int(match[1]), min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        comments = self.state.comments.get(number, [])
        chunk = comments[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(comments):
            host = self.headers.get("Host")
            headers["Link"] = (f'<http://{host}{path}?per_page={per_page}&page={page + 1}>; '
                               f'rel="next"')
        self._send(200, chunk, headers)

    def do_POST(self) -> None:  # noqa: N802
        path, _, body = self._record()
        match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", path)
        if not match or not body or len(body.get("body", "")) > 65_536:
            return self._send(422, {"message": "Validation Failed"})
        comment = _store(self.state, int(match[1]), body["body"], "github-actions[bot]")
        self._send(201, comment)

    def do_PATCH(self) -> None:  # noqa: N802
        path, _, body = self._record()
        comment = self._find(path)
        if comment is None:
            return self._send(404, {"message": "Not Found"})
        if len(body.get("body", "")) > 65_536:
            return self._send(422, {"message": "Validation Failed"})
        comment["body"] = body["body"]
        self._send(200, comment)

    def do_DELETE(self) -> None:  # noqa: N802
        path, _, _ = self._record()
        comment = self._find(path)
        if comment is None:
            return self._send(404, {"message": "Not Found"})
        with self.state.lock:
            for comments in self.state.comments.values():
                if comment in comments:
                    comments.remove(comment)
        self._send(204)

    def _find(self, path: str) -> dict | None:
        match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path)
        if not match:
            return None
        return next((c for comments in self.state.comments.values() for c in comments
                     if c["id"] == int(match[1])), None)
