"""A fake GitLab REST API (v4) on 127.0.0.1 for the publisher, artifact baselines and the template.

Only the endpoints mlgate uses, with GitLab's real shapes: offset pagination with `X-Next-Page`
*and* a `Link` header, `PRIVATE-TOKEN` / `JOB-TOKEN` authentication (a job token reads artifacts
and nothing else), and injectable failures (`fail`) to test retries. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BOT = {"id": 901, "username": "project_7_bot_mlgate", "name": "mlgate bot"}
HUMAN = {"id": 17, "username": "alice", "name": "Alice"}


@dataclass
class Seen:
    """One request the fake answered."""

    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class FakeGitLab:
    """State of one fake GitLab: tokens, users, MR notes, commit statuses, job artifacts."""

    server: HTTPServer
    token: str = "glpat-FAKEtoken-0123456789abcdef"
    job_token: str = "glcbt-FAKEjobtoken-9876543210"
    project: str = "7"
    max_per_page: int = 100
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # MR iid -> notes
    statuses: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[tuple[str, str, str], bytes] = field(default_factory=dict)  # ref, job, path
    seen: list[Seen] = field(default_factory=list)
    _faults: list[tuple[str, re.Pattern[str], list[tuple[int, dict[str, str], str | None]]]] = (
        field(default_factory=list)
    )
    # called with each request before it is answered (outside the lock: it may wait, on a
    # threaded server, to order racing publishers) and after
    before: Callable[[Seen], None] | None = None
    after: Callable[[Seen], None] | None = None
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return self.server.url_for("/api/v4").rstrip("/")

    def env(self, **extra: str) -> dict[str, str]:
        """The variables of a GitLab merge-request pipeline pointed at this fake."""
        env = {
            "GITLAB_CI": "true",
            "CI": "true",
            "CI_API_V4_URL": self.api_url,
            "CI_SERVER_URL": self.server.url_for("/").rstrip("/"),
            "CI_PROJECT_ID": self.project,
            "CI_PROJECT_URL": self.server.url_for("/group/project").rstrip("/"),
            "CI_PROJECT_PATH": "group/project",
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "12",
            "CI_COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
            "CI_COMMIT_REF_NAME": "feature/better-model",
            "CI_DEFAULT_BRANCH": "main",
            "CI_PIPELINE_ID": "5501",
            "CI_JOB_URL": self.server.url_for("/group/project/-/jobs/777").rstrip("/"),
            "CI_JOB_TOKEN": self.job_token,
            "MLGATE_GITLAB_TOKEN": self.token,
        }
        env.update(extra)
        return env

    # --- arranging ------------------------------------------------------------------------------

    def add_note(self, iid: str, body: str, author: dict[str, Any] | None = None) -> dict[str, Any]:
        note = {
            "id": self._new_id(),
            "body": body,
            "author": author or HUMAN,
            "system": False,
            "noteable_iid": int(iid),
        }
        self.notes.setdefault(iid, []).append(note)
        return note

    def fail(
        self,
        method: str,
        path: str,
        *codes: int,
        headers: dict[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next len(codes) matching requests with these statuses, then normally."""
        faults = [(c, headers or {}, message) for c in codes]
        self._faults.append((method, re.compile(path), faults))

    def requests(self, method: str | None = None, path: str = "") -> list[Seen]:
        return [s for s in self.seen if (method is None or s.method == method) and path in s.path]

    # --- serving --------------------------------------------------------------------------------

    def install(self) -> FakeGitLab:
        self.server.expect_request(re.compile(r"^/api/v4/.*")).respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        path = unquote(request.path.removeprefix("/api/v4"))  # %2F in refs and paths
        body: Any = None
        if request.data:
            try:
                body = json.loads(request.data)
            except ValueError:
                body = request.form.to_dict() or request.data.decode("utf-8", "replace")
        seen = Seen(request.method, path, request.args.to_dict(), dict(request.headers), body)
        if self.before is not None:
            self.before(seen)
        with self._lock:
            self.seen.append(seen)
            response = self._fault(request.method, path) or self._route(request, path, body)
        seen.status = response.status_code
        if self.after is not None:
            self.after(seen)
        return response

    def _fault(self, method: str, path: str) -> Response | None:
        for want, pattern, queue in self._faults:
            if want == method and pattern.search(path) and queue:
                code, headers, message = queue.pop(0)
                return _json({"message": message or f"{code} fault injected"}, code, headers)
        return None

    def _route(self, request: Request, path: str, body: Any) -> Response:
        routes: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", r"^/user$", self._user),
            (
                "GET",
                r"^/projects/(?P<p>[^/]+)/merge_requests/(?P<iid>\d+)/notes$",
                self._list_notes,
            ),
            (
                "POST",
                r"^/projects/(?P<p>[^/]+)/merge_requests/(?P<iid>\d+)/notes$",
                self._create_note,
            ),
            (
                "GET",
                r"^/projects/(?P<p>[^/]+)/merge_requests/(?P<iid>\d+)/notes/(?P<nid>\d+)$",
                self._get_note,
            ),
            (
                "PUT",
                r"^/projects/(?P<p>[^/]+)/merge_requests/(?P<iid>\d+)/notes/(?P<nid>\d+)$",
                self._update_note,
            ),
            (
                "DELETE",
                r"^/projects/(?P<p>[^/]+)/merge_requests/(?P<iid>\d+)/notes/(?P<nid>\d+)$",
                self._delete_note,
            ),
            ("POST", r"^/projects/(?P<p>[^/]+)/statuses/(?P<sha>[0-9a-f]+)$", self._status),
            (
                "GET",
                r"^/projects/(?P<p>[^/]+)/jobs/artifacts/(?P<ref>.+?)/raw/(?P<path>.+)$",
                self._artifact,
            ),
        ]
        for method, pattern, handler in routes:
            match = re.match(pattern, path)
            if match and method == request.method:
                groups = match.groupdict()
                if groups.get("p") not in (None, self.project, "group/project"):
                    return _json({"message": "404 Project Not Found"}, 404)
                job_ok = handler == self._artifact
                denied = self._auth(request, job_ok=job_ok)
                if denied:
                    return denied
                return handler(request, body, **{k: v for k, v in groups.items() if k != "p"})
        return _json({"error": "404 Not Found"}, 404)

    def _auth(self, request: Request, *, job_ok: bool) -> Response | None:
        if request.headers.get("PRIVATE-TOKEN") == self.token:
            return None
        if request.headers.get("JOB-TOKEN") == self.job_token:
            return None if job_ok else _json({"message": "403 Forbidden"}, 403)
        return _json({"message": "401 Unauthorized"}, 401)

    def _user(self, request: Request, body: Any) -> Response:
        return _json(BOT)

    def _list_notes(self, request: Request, body: Any, iid: str) -> Response:
        notes = self.notes.get(iid, [])
        per_page = min(int(request.args.get("per_page", 20)), self.max_per_page)
        page = int(request.args.get("page", 1))
        chunk = notes[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(notes) // per_page))
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(notes)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
        }
        if page < pages:
            args = {**request.args.to_dict(), "page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
        return _json(chunk, 200, headers)

    def _create_note(self, request: Request, body: Any, iid: str) -> Response:
        text = (body or {}).get("body", "")
        if len(text) > 1_000_000:
            return _json(
                {"message": {"note": ["is too long (maximum is 1000000 characters)"]}}, 400
            )
        return _json(self.add_note(iid, text, BOT), 201)

    def _get_note(self, request: Request, body: Any, iid: str, nid: str) -> Response:
        for note in self.notes.get(iid, []):
            if str(note["id"]) == nid:
                return _json(note)
        return _json({"message": "404 Note Not Found"}, 404)

    def _update_note(self, request: Request, body: Any, iid: str, nid: str) -> Response:
        for note in self.notes.get(iid, []):
            if str(note["id"]) == nid:
                if note["author"]["id"] != BOT["id"]:
                    return _json({"message": "403 Forbidden"}, 403)
                note["body"] = (body or {}).get("body", note["body"])
                return _json(note)
        return _json({"message": "404 Note Not Found"}, 404)

    def _delete_note(self, request: Request, body: Any, iid: str, nid: str) -> Response:
        for note in self.notes.get(iid, []):
            if str(note["id"]) == nid:
                if note["author"]["id"] != BOT["id"]:
                    return _json({"message": "403 Forbidden"}, 403)
                self.notes[iid].remove(note)
                return Response(status=204)
        return _json({"message": "404 Note Not Found"}, 404)

    def _status(self, request: Request, body: Any, sha: str) -> Response:
        data = dict(body or {})
        if data.get("state") not in ("pending", "running", "success", "failed", "canceled"):
            return _json({"error": "state does not have a valid value"}, 400)
        status = {
            "id": self._new_id(),
            "sha": sha,
            "status": data["state"],
            "name": data.get("name", "default"),
            **data,
        }
        self.statuses.append(status)
        return _json(status, 201)

    def _artifact(self, request: Request, body: Any, ref: str, path: str) -> Response:
        key = (ref, request.args.get("job", ""), path)
        if key not in self.artifacts:
            return _json({"message": "404 Not Found"}, 404)
        return Response(self.artifacts[key], 200, content_type="application/octet-stream")

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(doc), status, headers=headers or {}, content_type="application/json")
