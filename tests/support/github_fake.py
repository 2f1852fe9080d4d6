"""A fake GitHub REST API on 127.0.0.1 for the publisher, the artifact baseline and the action.

Only the endpoints mlgate uses, with GitHub's real shapes: absolute `url` / `issue_url` on the
fake host (PyGithub follows them and refuses other hosts), `Link` pagination, `Bearer`/`token`
authentication, installation tokens that may not call `GET /user` nor create check runs when
told so, and injectable failures (`fail`) to test retries. Every request is recorded.
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

OWNER, NAME = "acme", "churn"
REPO = f"{OWNER}/{NAME}"
ACTIONS_BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
HUMAN = {"login": "alice", "id": 17, "type": "User"}
HEAD_SHA = "0123456789abcdef0123456789abcdef01234567"
MERGE_SHA = "fedcba9876543210fedcba9876543210fedcba98"
PR = 12


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
class FakeGitHub:
    """State of one fake GitHub: a repository's PRs, comments, check runs, statuses, artifacts."""

    server: HTTPServer
    token: str = "ghs_FAKEinstallationTOKEN0123456789abcdef"  # a personal token: "ghp_…"
    installation: bool = True  # GITHUB_TOKEN-like: GET /user is refused, author is the Actions bot
    checks_allowed: bool = True  # False: POST check-runs is 403 (a token without checks: write)
    statuses_allowed: bool = True
    default_branch: str = "main"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # issue -> comments
    labels: dict[int, list[str]] = field(default_factory=dict)
    events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    zips: dict[int, bytes] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    _faults: list[tuple[str, re.Pattern[str], list[tuple[int, dict[str, str], str | None]]]] = (
        field(default_factory=list)
    )
    # called with each request before it is answered (outside the lock: it may wait, on a
    # threaded server, to order racing publishers) and after
    before: Callable[[Seen], None] | None = None
    after: Callable[[Seen], None] | None = None
    _next_id: int = 5000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- addresses ------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Like GitHub Enterprise Server: the API under /api/v3."""
        return self.server.url_for("/api/v3").rstrip("/")

    @property
    def web_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def repo_url(self, rest: str = "") -> str:
        return f"{self.api_url}/repos/{REPO}{rest}"

    @property
    def me(self) -> dict[str, Any]:
        if self.installation:
            return ACTIONS_BOT
        return {"login": "mlgate-bot", "id": 77, "type": "User"}

    def env(
        self,
        tmp: Any,
        event: dict[str, Any] | None = None,
        name: str = "pull_request",
        **extra: str,
    ) -> dict[str, str]:
        """The variables of a GitHub Actions job pointed at this fake (files under `tmp`)."""
        event_path = tmp / "event.json"
        event_path.write_text(json.dumps(event if event is not None else self.pr_event()))
        for file in ("step_summary.md", "output.txt"):
            (tmp / file).touch()
        env = {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": self.web_url,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_EVENT_NAME": name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_SHA": MERGE_SHA,
            "GITHUB_REF": f"refs/pull/{PR}/merge",
            "GITHUB_RUN_ID": "9001",
            "GITHUB_WORKSPACE": str(tmp),
            "GITHUB_STEP_SUMMARY": str(tmp / "step_summary.md"),
            "GITHUB_OUTPUT": str(tmp / "output.txt"),
            "GITHUB_TOKEN": self.token,
            "MLGATE_GITHUB_THROTTLE": "0",
            "MLGATE_GITHUB_BACKOFF": "0",
        }
        env.update(extra)
        return env

    def pr_event(
        self,
        number: int = PR,
        sha: str = HEAD_SHA,
        fork: bool = False,
        labels: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """A `pull_request` webhook payload (and the PR it describes, served by GET pulls/N)."""
        head_repo = f"mallory/{NAME}" if fork else REPO
        pull = {
            "number": number,
            "url": self.repo_url(f"/pulls/{number}"),
            "head": {"sha": sha, "ref": "better-model", "repo": {"full_name": head_repo}},
            "base": {"sha": "b" * 40, "ref": "main", "repo": {"full_name": REPO}},
            "labels": [{"name": name} for name in labels],
        }
        self.pulls.setdefault(number, pull)
        return {
            "action": "synchronize",
            "number": number,
            "pull_request": pull,
            "repository": {"full_name": REPO, "default_branch": self.default_branch},
        }

    def workflow_run_event(
        self,
        head_sha: str = HEAD_SHA,
        pull_requests: tuple[int, ...] = (),
        run_id: int = 777,
        conclusion: str = "failure",
        head_repository: str = f"mallory/{NAME}",
        head_branch: str = "better-model",
    ) -> dict[str, Any]:
        """A `workflow_run` payload; `pull_requests` is empty for forks, as on GitHub."""
        return {
            "action": "completed",
            "workflow_run": {
                "id": run_id,
                "head_sha": head_sha,
                "event": "pull_request",
                "conclusion": conclusion,
                "head_repository": {"full_name": head_repository},
                "head_branch": head_branch,
                "html_url": f"{self.web_url}/{REPO}/actions/runs/{run_id}",
                "pull_requests": [{"number": n, "head": {"sha": head_sha}} for n in pull_requests],
            },
            "repository": {"full_name": REPO},
        }

    # --- arranging ------------------------------------------------------------------------------

    def add_comment(
        self, issue: int, body: str, user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        cid = self._new_id()
        comment = {
            "id": cid,
            "body": body,
            "user": dict(user or HUMAN),
            "url": self.repo_url(f"/issues/comments/{cid}"),
            "issue_url": self.repo_url(f"/issues/{issue}"),
            "html_url": f"{self.web_url}/{REPO}/pull/{issue}#issuecomment-{cid}",
            "created_at": "2024-05-01T12:00:00Z",
            "updated_at": "2024-05-01T12:00:00Z",
        }
        self.comments.setdefault(issue, []).append(comment)
        return comment

    def add_label(self, issue: int, name: str, actor: str = "bob") -> None:
        self.labels.setdefault(issue, []).append(name)
        self.events.setdefault(issue, []).append(
            {
                "id": self._new_id(),
                "event": "labeled",
                "label": {"name": name, "color": "ededed"},
                "actor": {"login": actor, "id": 3, "type": "User"},
                "url": self.repo_url(f"/issues/events/{self._next_id}"),
                "created_at": "2024-05-01T12:00:00Z",
            }
        )

    def add_artifact(
        self,
        name: str,
        data: bytes,
        *,
        branch: str = "main",
        event: str = "push",
        conclusion: str = "success",
        fork: bool = False,
        expired: bool = False,
    ) -> int:
        """An artifact of a workflow run (newest first, as GitHub lists them)."""
        run_id, art_id = self._new_id(), self._new_id()
        repo_id, head_repo_id = 1, (99 if fork else 1)
        self.runs[run_id] = {
            "id": run_id,
            "head_branch": branch,
            "event": event,
            "status": "completed",
            "conclusion": conclusion,
            "head_sha": HEAD_SHA,
            "url": self.repo_url(f"/actions/runs/{run_id}"),
            "repository": {"id": repo_id},
            "head_repository": {"id": head_repo_id},
        }
        self.artifacts.insert(
            0,
            {
                "id": art_id,
                "name": name,
                "size_in_bytes": len(data),
                "expired": expired,
                "url": self.repo_url(f"/actions/artifacts/{art_id}"),
                "archive_download_url": self.repo_url(f"/actions/artifacts/{art_id}/zip"),
                "created_at": "2024-05-01T12:00:00Z",
                "workflow_run": {
                    "id": run_id,
                    "repository_id": repo_id,
                    "head_repository_id": head_repo_id,
                    "head_branch": branch,
                    "head_sha": HEAD_SHA,
                },
            },
        )
        self.zips[art_id] = data
        return art_id

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

    def ours(self, issue: int = PR) -> list[dict[str, Any]]:
        """The comments on `issue` authored by the token's account."""
        return [c for c in self.comments.get(issue, []) if c["user"]["login"] == self.me["login"]]

    # --- serving --------------------------------------------------------------------------------

    def install(self) -> FakeGitHub:
        self.server.expect_request(re.compile(r"^/api/v3/.*")).respond_with_handler(self.handle)
        self.server.expect_request(re.compile(r"^/blob/.*")).respond_with_handler(self._blob)
        return self

    def handle(self, request: Request) -> Response:
        path = unquote(request.path.removeprefix("/api/v3"))
        body: Any = None
        if request.data:
            try:
                body = json.loads(request.data)
            except ValueError:
                body = request.data.decode("utf-8", "replace")
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
        repo = rf"^/repos/{REPO}"
        routes: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", r"^/user$", self._user),
            ("GET", repo + r"$", self._repo),
            ("GET", repo + r"/issues/(?P<n>\d+)/comments$", self._list_comments),
            ("POST", repo + r"/issues/(?P<n>\d+)/comments$", self._create_comment),
            ("GET", repo + r"/issues/comments/(?P<cid>\d+)$", self._get_comment),
            ("PATCH", repo + r"/issues/comments/(?P<cid>\d+)$", self._edit_comment),
            ("DELETE", repo + r"/issues/comments/(?P<cid>\d+)$", self._delete_comment),
            ("GET", repo + r"/issues/(?P<n>\d+)/labels$", self._labels),
            ("GET", repo + r"/issues/(?P<n>\d+)/events$", self._events),
            ("GET", repo + r"/pulls/(?P<n>\d+)$", self._pull),
            ("GET", repo + r"/pulls$", self._list_pulls),
            ("POST", repo + r"/check-runs$", self._check_run),
            ("PATCH", repo + r"/check-runs/(?P<rid>\d+)$", self._edit_check_run),
            ("GET", repo + r"/commits/(?P<sha>[0-9a-f]{40})/check-runs$", self._list_check_runs),
            ("GET", repo + r"/commits/(?P<sha>[0-9a-f]{40})$", self._commit),
            ("POST", repo + r"/statuses/(?P<sha>[0-9a-f]{40})$", self._status),
            ("GET", repo + r"/actions/artifacts$", self._list_artifacts),
            ("GET", repo + r"/actions/artifacts/(?P<aid>\d+)/zip$", self._download),
            ("GET", repo + r"/actions/runs/(?P<rid>\d+)$", self._run),
        ]
        for method, pattern, handler in routes:
            match = re.match(pattern, path)
            if match and method == request.method:
                auth = request.headers.get("Authorization", "")
                if auth not in (f"token {self.token}", f"Bearer {self.token}"):
                    return _json({"message": "Bad credentials"}, 401)
                return handler(request, body, **match.groupdict())
        return _json({"message": "Not Found"}, 404)

    # --- endpoints ------------------------------------------------------------------------------

    def _user(self, request: Request, body: Any) -> Response:
        if self.installation:
            return _json({"message": "Resource not accessible by integration"}, 403)
        return _json({**self.me, "url": f"{self.api_url}/users/{self.me['login']}"})

    def _repo(self, request: Request, body: Any) -> Response:
        return _json(
            {
                "id": 1,
                "name": NAME,
                "full_name": REPO,
                "url": self.repo_url(),
                "default_branch": self.default_branch,
                "owner": {"login": OWNER},
            }
        )

    def _list_comments(self, request: Request, body: Any, n: str) -> Response:
        return self._page(request, self.comments.get(int(n), []))

    def _create_comment(self, request: Request, body: Any, n: str) -> Response:
        text = (body or {}).get("body", "")
        if len(text) > 65536:
            return _json(
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "IssueComment",
                            "code": "custom",
                            "field": "body",
                            "message": "body is too long (maximum is 65536 characters)",
                        }
                    ],
                },
                422,
            )
        return _json(self.add_comment(int(n), text, self.me), 201)

    def _find(self, cid: str) -> dict[str, Any] | None:
        for comments in self.comments.values():
            for comment in comments:
                if str(comment["id"]) == cid:
                    return comment
        return None

    def _get_comment(self, request: Request, body: Any, cid: str) -> Response:
        comment = self._find(cid)
        return _json(comment) if comment else _json({"message": "Not Found"}, 404)

    def _edit_comment(self, request: Request, body: Any, cid: str) -> Response:
        comment = self._find(cid)
        if comment is None:
            return _json({"message": "Not Found"}, 404)
        if comment["user"]["login"] != self.me["login"]:
            return _json({"message": "Resource not accessible by integration"}, 403)
        comment["body"] = (body or {}).get("body", comment["body"])
        comment["updated_at"] = "2024-05-02T12:00:00Z"
        return _json(comment)

    def _delete_comment(self, request: Request, body: Any, cid: str) -> Response:
        comment = self._find(cid)
        if comment is None:
            return _json({"message": "Not Found"}, 404)
        for comments in self.comments.values():
            if comment in comments:
                comments.remove(comment)
        return Response(status=204)

    def _labels(self, request: Request, body: Any, n: str) -> Response:
        labels = [
            {"name": name, "color": "ededed", "url": self.repo_url(f"/labels/{name}")}
            for name in self.labels.get(int(n), [])
        ]
        return self._page(request, labels)

    def _events(self, request: Request, body: Any, n: str) -> Response:
        return self._page(request, self.events.get(int(n), []))

    def _pull(self, request: Request, body: Any, n: str) -> Response:
        pull = self.pulls.get(int(n))
        return _json(pull) if pull else _json({"message": "Not Found"}, 404)

    def _list_pulls(self, request: Request, body: Any) -> Response:
        """`?head=owner:branch` filters by the head's owner and branch, as GitHub does."""
        head = request.args.get("head")
        found = [
            p
            for p in self.pulls.values()
            if head is None
            or f"{p['head']['repo']['full_name'].split('/')[0]}:{p['head']['ref']}" == head
        ]
        return self._page(request, found)

    def _check_run(self, request: Request, body: Any) -> Response:
        if not self.checks_allowed:
            return _json({"message": "Resource not accessible by integration"}, 403)
        data = dict(body or {})
        output = data.get("output") or {}
        problems = [k for k in ("title", "summary") if k in output and len(output[k]) > 65535]
        if len(output.get("annotations") or []) > 50 or problems:
            return _json({"message": "Validation Failed"}, 422)
        rid = self._new_id()
        run = {
            **data,
            "id": rid,
            "url": self.repo_url(f"/check-runs/{rid}"),
            "html_url": f"{self.web_url}/{REPO}/runs/{rid}",
        }
        self.check_runs.append(run)
        return _json(run, 201)

    def _edit_check_run(self, request: Request, body: Any, rid: str) -> Response:
        for run in self.check_runs:
            if str(run["id"]) == rid:
                run.update(dict(body or {}))
                return _json(run)
        return _json({"message": "Not Found"}, 404)

    def _list_check_runs(self, request: Request, body: Any, sha: str) -> Response:
        """Newest first, like GitHub; `check_name` filters, `filter=latest` is not modelled."""
        name = request.args.get("check_name")
        found = [
            r
            for r in reversed(self.check_runs)
            if r.get("head_sha") == sha and (name is None or r.get("name") == name)
        ]
        return self._page(request, found, key="check_runs")

    def shown_check(self, name: str = "mlgate", sha: str = HEAD_SHA) -> dict[str, Any]:
        """The check run GitHub shows for `name` on a commit: the last one created."""
        return [r for r in self.check_runs if r["name"] == name and r["head_sha"] == sha][-1]

    def _commit(self, request: Request, body: Any, sha: str) -> Response:
        return _json({"sha": sha, "url": self.repo_url(f"/commits/{sha}")})

    def _status(self, request: Request, body: Any, sha: str) -> Response:
        if not self.statuses_allowed:
            return _json({"message": "Resource not accessible by integration"}, 403)
        data = dict(body or {})
        if data.get("state") not in ("error", "failure", "pending", "success"):
            return _json({"message": "Validation Failed"}, 422)
        if len(data.get("description") or "") > 140:
            return _json({"message": "Validation Failed"}, 422)
        status = {
            **data,
            "id": self._new_id(),
            "sha": sha,
            "url": self.repo_url(f"/statuses/{sha}"),
        }
        self.statuses.append(status)
        return _json(status, 201)

    def _list_artifacts(self, request: Request, body: Any) -> Response:
        name = request.args.get("name")
        found = [a for a in self.artifacts if name is None or a["name"] == name]
        return self._page(request, found, key="artifacts")

    def _download(self, request: Request, body: Any, aid: str) -> Response:
        if int(aid) not in self.zips:
            return _json({"message": "Not Found"}, 404)
        # like GitHub: a redirect to blob storage on another host (auth must not follow it)
        host = self.server.url_for("/").replace("127.0.0.1", "localhost").rstrip("/")
        return Response(status=302, headers={"Location": f"{host}/blob/{aid}?sig=signed"})

    def _blob(self, request: Request) -> Response:
        seen = Seen(
            request.method, request.path, request.args.to_dict(), dict(request.headers), None
        )
        self.seen.append(seen)
        aid = int(request.path.rsplit("/", 1)[-1])
        if "Authorization" in request.headers:  # blob storage rejects a second credential
            seen.status = 400
            return Response("<Error>InvalidAuthenticationInfo</Error>", 400)
        seen.status = 200
        return Response(self.zips[aid], 200, content_type="application/zip")

    def _run(self, request: Request, body: Any, rid: str) -> Response:
        run = self.runs.get(int(rid))
        return _json(run) if run else _json({"message": "Not Found"}, 404)

    # --- helpers --------------------------------------------------------------------------------

    def _page(
        self, request: Request, items: list[dict[str, Any]], key: str | None = None
    ) -> Response:
        per_page = min(int(request.args.get("per_page", 30)), 100)
        page = int(request.args.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(items) // per_page))
        headers = {}
        if page < pages:
            base = f"{self.api_url}{request.path.removeprefix('/api/v3')}"
            nxt = {**request.args.to_dict(), "page": str(page + 1), "per_page": str(per_page)}
            last = {**nxt, "page": str(pages)}
            headers["Link"] = (
                f'<{base}?{urlencode(nxt)}>; rel="next", <{base}?{urlencode(last)}>; rel="last"'
            )
        doc: Any = {"total_count": len(items), key: chunk} if key else chunk
        return _json(doc, 200, headers)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(doc), status, headers=headers or {}, content_type="application/json")
