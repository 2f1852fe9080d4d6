"""GitHub publisher: sticky PR comment, check run or status, job summary, outputs, annotations.

Order matters: the runner-side outputs (summary, `$GITHUB_OUTPUT`, `::error` lines) are written
first — they need no token and survive an API outage. Then the check run and the comment, each
failing on its own; any failure becomes one PublishError naming what did and did not happen.

Fork-safe publishing (`mlgate publish DIR` in a `workflow_run` job): the report was written by
untrusted code, so the commit it claims must be the commit GitHub says the run was for, and a PR
number it carries is used only while that PR's head is still that commit.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlgate.errors import PublishError
from mlgate.platforms import github as api
from mlgate.publish import PublishOptions, check_name, comment
from mlgate.publish import github_workflow as workflow
from mlgate.records import GateResult, Report

if TYPE_CHECKING:
    from github import Github
    from github.CheckRun import CheckRun
    from github.IssueComment import IssueComment
    from github.Repository import Repository

CHECK_NAME = "mlgate"  # unnamed configs; a named one is `mlgate / NAME` (check_name)
# a report written by a fork's own run (posted by a workflow_run job): never the `mlgate` check
FORK_CHECK_NAME = "mlgate (fork report)"
COMMENT_LIMIT = 65_000  # GitHub rejects comments above 65,536 characters (HTTP 422)
CHECK_SUMMARY_LIMIT = 65_000  # check-run output.summary: at most 65,535 characters
MAX_ANNOTATIONS = 50  # per check-run request

CONCLUSION = {"pass": "success", "fail": "failure", "error": "failure"}
STATE = {"pass": "success", "fail": "failure", "error": "error"}
VERDICT_TITLE = {"pass": "passed", "fail": "blocked", "error": "could not evaluate"}
ANNOTATION_LEVEL = {"fail": "failure", "error": "failure", "warn": "warning"}
PR_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True)
class Target:
    """Where to post: the commit for the check run, and the PR for the comment (if any)."""

    sha: str | None
    pr: int | None
    pr_from_report: bool = False  # the number came from the (untrusted) report: verify its head
    fork: bool = False  # a `pull_request` run from a fork: the token is read-only
    run_url: str | None = None  # workflow_run: the triggering run (from GitHub, not the report)
    fork_report: bool = False  # workflow_run of a fork's run: the report is the fork's own
    run_conclusion: str | None = None  # workflow_run: how the triggering run concluded
    head_repository: str | None = None  # workflow_run: the repository the PR must come from
    head_branch: str | None = None  # workflow_run: the branch the PR must come from
    run: comment.Run | None = None  # the run whose report this is, to refuse overwriting a newer


def find_target(report: Report, env: Mapping[str, str], event: Mapping[str, Any]) -> Target:
    """The commit and PR of this run; refuses a report that was made for another commit."""
    pull = event.get("pull_request") if isinstance(event.get("pull_request"), dict) else None
    run = event.get("workflow_run") if isinstance(event.get("workflow_run"), dict) else None
    claimed = report.context.get("pull_request") or {}
    # a PR job's `commit` is the merge commit: only the head SHA compares with a PR event
    claimed_sha = claimed.get("head_sha") or (None if pull else report.context.get("commit"))
    if pull:
        sha, number = pull.get("head", {}).get("sha"), pull.get("number")
    elif run:
        sha = run.get("head_sha")
        number = next(
            (
                p.get("number")
                for p in run.get("pull_requests") or []
                if p.get("head", {}).get("sha") == sha
            ),
            None,
        )
    else:
        sha, number = env.get("GITHUB_SHA"), None
    if run and not claimed_sha:
        raise PublishError(
            f"the report names no commit: refusing to post it for workflow_run {run.get('id')}",
            hint="post the report that `mlgate run` wrote in the pull_request job",
        )
    if sha and claimed_sha and claimed_sha != sha:
        raise PublishError(
            f"the report is for commit {claimed_sha[:12]} but this run is for {sha[:12]}: "
            "refusing to post",
            hint="download the report of the triggering run (run-id: github.event.workflow_run.id)",
        )
    from_report = number is None and run is not None and isinstance(claimed.get("number"), int)
    if from_report:
        number = claimed["number"]
    fork = bool(pull and env.get("GITHUB_EVENT_NAME") == "pull_request" and _is_fork(pull))
    head_repo = head_branch = None
    fork_report = False
    if run:
        this = (event.get("repository") or {}).get("full_name") or env.get("GITHUB_REPOSITORY")
        head_repo = (run.get("head_repository") or {}).get("full_name")
        head_branch = run.get("head_branch")
        fork_report = not head_repo or head_repo != this  # unknown origin: treated as a fork
    order = api.run_order(env, event)
    return Target(
        run=comment.Run(order, sha or claimed_sha) if order else None,
        sha=sha or claimed_sha,
        pr=number if isinstance(number, int) else None,
        pr_from_report=from_report,
        fork=fork,
        run_url=run.get("html_url") if run else None,
        fork_report=fork_report,
        run_conclusion=run.get("conclusion") if run else None,
        head_repository=head_repo,
        head_branch=head_branch,
    )


def distrusted(report: Report, target: Target) -> Report:
    """A fork's own report as it may be posted: its verdict recomputed from its gates, and an
    acceptance it claims not honoured (the label was read by the fork's run, not by us).

    A report saying `pass` next to a failing blocking gate is a `fail`; an accepted gate is the
    blocking failure it was; a pass of a triggering run that did not conclude `success` is not
    a pass (the job's exit code disagrees with the report it uploaded).
    """
    from mlgate.decide import verdict_of

    gates = tuple(
        g.with_status("fail", blocking=True, note="acceptance not honoured in a fork report")
        if g.accepted
        else g
        for g in report.gates
    )
    gates = tuple(replace(g, accepted=False) for g in gates)
    errors = tuple(report.errors)
    verdict = verdict_of(gates, errors)
    if verdict == "pass" and target.run_conclusion != "success":
        errors = (
            *errors,
            f"the triggering run concluded {target.run_conclusion or 'unknown'}, not success, "
            "while its report says pass: not published as a pass",
        )
        verdict = "error"
    context = {k: v for k, v in report.context.items() if k != "accepted"}
    context["fork_report"] = {
        "claimed_verdict": report.verdict,
        "run_conclusion": target.run_conclusion,
        "head_repository": target.head_repository,
        "head_branch": target.head_branch,
    }
    return replace(report, verdict=verdict, gates=gates, errors=errors, context=context)


@dataclass(frozen=True)
class Posting:
    """Everything one publishing step needs."""

    gh: Github
    repo: Repository
    target: Target
    report: Report
    options: PublishOptions
    settings: api.Settings
    locate: workflow.Locate
    sticky: comment.Sticky | None = None  # the comment to post; None: the report's own


def _is_fork(pull: Mapping[str, Any]) -> bool:
    head = (pull.get("head") or {}).get("repo") or {}
    base = (pull.get("base") or {}).get("repo") or {}
    return head.get("full_name") != base.get("full_name")


class GitHubPublisher:
    """Publishes to the pull request of the GitHub Actions run this process is part of."""

    name = "github"

    def detect(self, env: Mapping[str, str]) -> bool:
        return env.get("GITHUB_ACTIONS") == "true"

    def publish(
        self, report: Report, out_dir: Path, options: PublishOptions, env: Mapping[str, str]
    ) -> list[str]:
        """Write the runner-side outputs, then post the check run and the comment."""
        settings = api.Settings.from_env(env)
        target = find_target(report, env, api.read_event(env))  # refuses a foreign report
        if target.run_url:  # links in what we post come from GitHub, not from the report
            context = {k: v for k, v in report.context.items() if k != "report_url"}
            report = replace(report, context={**context, "job_url": target.run_url})
        if target.fork_report and not options.evaluated:
            report = distrusted(report, target)
        failures: list[str] = []
        done = self._runner_outputs(report, out_dir, options, env, failures)
        if target.fork and not failures:
            return [
                *done,
                "fork pull request: the token is read-only, nothing posted to the PR "
                "(the verdict comes from a workflow_run job with `mlgate fork-evaluate`, see "
                "docs/github.md)",
            ]
        try:
            gh = api.connect(settings)
            repo = gh.get_repo(api.repository_of(settings))
        except PublishError as exc:
            raise _failed("; ".join([*failures, exc.message]), done, exc.hint) from None
        locate = _locator(report, env, options.config)
        posting = Posting(gh, repo, target, report, options, settings, locate)
        steps: tuple[tuple[str, Any], ...] = (("check run", self._check),)
        if options.own_comment:
            steps += (("comment", self._comment),)
        steps = () if target.fork else steps
        for label, step in steps:
            try:
                done.append(step(posting))
            except PublishError as exc:
                failures.append(f"{label}: {exc.message}")
            except api.api_errors() as exc:
                failures.append(f"{label}: {api.describe(exc, settings)}")
        if failures:
            raise _failed("; ".join(failures), done)
        return done

    def publish_combined(
        self, reports: Sequence[Report], options: PublishOptions, env: Mapping[str, str]
    ) -> list[str]:
        """After each report's own check run: the worst verdict as the step output `verdict`,
        then the one comment of all of them (unless each posted its own)."""
        from mlgate.decide import exit_code

        worst = max(reports, key=lambda r: int(exit_code(r)))
        done: list[str] = []
        if env.get("GITHUB_OUTPUT"):
            try:
                workflow.write_outputs(Path(env["GITHUB_OUTPUT"]), {"verdict": worst.verdict})
                done.append(f"step outputs: verdict={worst.verdict} (the worst)")
            except OSError as exc:
                raise _failed(f"step outputs: {exc}", done) from None
        if options.own_comment:
            return done
        settings = api.Settings.from_env(env)
        target = find_target(reports[0], env, api.read_event(env))
        for report in reports[1:]:  # every report must be for this commit
            find_target(report, env, api.read_event(env))
        if target.fork:
            return [*done, "fork pull request: the token is read-only, no comment posted"]
        sticky = comment.combined(reports, limit=COMMENT_LIMIT, run=target.run)
        try:
            gh = api.connect(settings)
            repo = gh.get_repo(api.repository_of(settings))
            posting = Posting(gh, repo, target, worst, options, settings, lambda gate: None, sticky)
            done.append(self._comment(posting))
        except PublishError as exc:
            raise _failed(f"comment: {exc.message}", done, exc.hint) from None
        except api.api_errors() as exc:
            raise _failed(f"comment: {api.describe(exc, settings)}", done) from None
        return done

    def accepted(self, label: str, env: Mapping[str, str] | None = None) -> str | None:
        """Why regressions are accepted ("PR label … added by @who"), or None.

        Asked of the API (labels change after the event), falling back to the event payload.
        Only people with triage access can label a PR, so a fork author cannot accept their own.
        """
        env = api.env_or_os(env)
        try:
            pull = api.read_event(env).get("pull_request")
        except PublishError:  # no readable event: nothing was accepted (fail closed)
            return None
        if not label or not isinstance(pull, dict) or not isinstance(pull.get("number"), int):
            return None
        settings = api.Settings.from_env(env)
        number = pull["number"]
        try:
            issue = api.connect(settings).get_repo(api.repository_of(settings)).get_issue(number)
            if label not in [item.name for item in issue.get_labels()]:
                return None
            actors = [
                e.actor.login
                for e in issue.get_events()
                if e.event == "labeled"
                and e.label is not None
                and e.label.name == label
                and e.actor is not None
            ]
            who = f" added by @{actors[-1]}" if actors else ""
            return f"PR label {label!r} on #{number}{who}"
        except (PublishError, *api.api_errors()) as exc:  # type: ignore[misc]
            why = exc.message if isinstance(exc, PublishError) else api.describe(exc, settings)
            print(
                workflow.escape_line(
                    f"mlgate: warning: cannot read the labels of PR #{number} ({why}); "
                    "using the event payload"
                ),
                file=sys.stderr,
            )
        names = [item.get("name") for item in pull.get("labels") or [] if isinstance(item, dict)]
        if label not in names:
            return None
        return f"PR label {label!r} on #{number} (from the event payload)"

    # --- the steps --------------------------------------------------------------------------

    def _runner_outputs(
        self,
        report: Report,
        out_dir: Path,
        options: PublishOptions,
        env: Mapping[str, str],
        failures: list[str],
    ) -> list[str]:
        """Job summary, step outputs and annotation commands: files and stdout, no network."""
        from mlgate.report.markdown import render_markdown

        done = []
        for line in workflow.annotation_commands(report, _locator(report, env, options.config)):
            print(line, flush=True)
        heading = f"### {check_name(report)}\n\n" if report.name else ""
        if env.get("GITHUB_STEP_SUMMARY"):
            try:
                workflow.append_summary(
                    Path(env["GITHUB_STEP_SUMMARY"]),
                    lambda limit: heading + render_markdown(report, max_chars=limit - len(heading)),
                )
                done.append("job summary written")
            except OSError as exc:
                failures.append(f"job summary: {exc}")
        if env.get("GITHUB_OUTPUT"):
            path = str((out_dir / "report.json").resolve())
            outputs = {} if options.several else {"verdict": report.verdict, "report-path": path}
            if report.name:  # namespaced too: several gates' outputs in one job never collide
                outputs.update({f"verdict-{report.name}": report.verdict})
                outputs.update({f"report-path-{report.name}": path})
            try:
                workflow.write_outputs(Path(env["GITHUB_OUTPUT"]), outputs)
                done.append(f"step outputs: verdict={report.verdict}")
            except OSError as exc:
                failures.append(f"step outputs: {exc}")
        return done

    def _check(self, posting: Posting) -> str:
        """A check run `mlgate`; where the token may not create one (HTTP 403), a commit status."""
        repo, target, report = posting.repo, posting.target, posting.report
        if not target.sha:
            return "check run: skipped (no commit for this event)"
        from github import GithubException

        summary = _summary(report)
        details = report.context.get("job_url")
        fork_report = target.fork_report and not posting.options.evaluated
        name = f"{check_name(report)} (fork report)" if fork_report else check_name(report)
        mine = target.run.order if target.run else None
        try:
            newest = _newest_check(repo, target.sha, name) if mine else None
            if newest is not None and comment.newer(_check_order(newest), mine):
                return (
                    f"check run {name}: not created, run {_check_label(newest)} already "
                    f"concluded {newest.conclusion} for this commit; this is run "
                    f"{_label(mine)} ({newest.html_url})"
                )
            extra: dict[str, Any] = {"details_url": details} if details else {}
            if mine:
                extra["external_id"] = _label(mine)  # which run: a stale one never overrides it
            run = None
            for _ in range(REPAIRS):
                run = repo.create_check_run(
                    name=name,
                    head_sha=target.sha,
                    status="completed",
                    conclusion=_conclusion(report),
                    output={
                        "title": summary,
                        "summary": _check_markdown(report),
                        "annotations": _annotations(posting),
                    },
                    **extra,
                )
                if not mine:
                    break
                settled = _settle_check(repo, target.sha, name, run, mine)
                if settled is None:
                    break
                if settled.id != run.id:  # a newer run's check was there first: ours mirrors it
                    return (
                        f"check run {name}: superseded by run {_check_label(settled)} "
                        f"({settled.conclusion}, {settled.html_url}); this is run {_label(mine)}"
                    )
                # else: a stale run's check landed after ours and is the one shown: post again
            assert run is not None
            return f"check run {name}: {run.conclusion} ({run.html_url})"
        except GithubException as exc:
            if exc.status != 403:
                raise
            why = api.describe(exc, posting.settings)
        commit = repo.get_commit(target.sha)
        commit.create_status(
            state=STATE[report.verdict],
            description=summary[:140],
            context=name,
            **({"target_url": details} if details else {}),
        )
        return f"commit status {name}: {STATE[report.verdict]} (no check run: {why})"

    def _comment(self, posting: Posting) -> str:
        """The sticky comment: edit ours (found by marker and author), else create it."""
        repo, target, report = posting.repo, posting.target, posting.report
        options = posting.options
        if options.comment == "never":
            return "comment: not posted (comment: never)"
        if target.pr is None:
            return "comment: skipped (this run is not for a pull request)"
        if target.pr_from_report or target.fork_report:
            pull = repo.get_pull(target.pr)
            head = pull.head.sha
            if head != target.sha:
                return (
                    f"comment: skipped (PR #{target.pr} is now at {head[:12]}, this report is "
                    f"for {(target.sha or '')[:12]}; its own run will post)"
                )
            source = pull.head.repo.full_name if pull.head.repo is not None else None
            if target.run_url and (source, pull.head.ref) != (
                target.head_repository,
                target.head_branch,
            ):
                return (
                    f"comment: skipped (PR #{target.pr} comes from {source}:{pull.head.ref}, "
                    f"the run from {target.head_repository}:{target.head_branch})"
                )
        sticky = posting.sticky or comment.sticky(report, limit=COMMENT_LIMIT, run=target.run)
        body = sticky.text
        login = api.whoami(posting.gh, posting.settings).lower()
        issue = repo.get_issue(target.pr)

        def listing() -> list[IssueComment]:
            return [  # this name's marker AND this token's user: never another gate's, nor a quote
                c
                for c in issue.get_comments()
                if sticky.ours(c.body) and c.user is not None and c.user.login.lower() == login
            ]

        ours = listing()
        keep = _survivor(ours) if ours else None
        mine = sticky.run.order if sticky.run else None
        if keep is not None and comment.newer(comment.run_of(keep.body), mine):
            return _stale("not posted", keep.body, keep.html_url, mine)
        step = comment.plan(options.comment, sticky.verdict, keep.body if keep else None, body)
        if step == "skip":
            return "comment: not posted (passed; comment: on-failure)"
        if step == "unchanged":
            return f"comment: unchanged ({keep.html_url if keep else ''})"
        if keep is None:
            created = issue.create_comment(body)
            if mine is None:
                return f"comment: posted ({created.html_url})"
            # Two runs that both found none have both posted: every one of them keeps the same
            # comment (the newest report), deletes the others, and re-posts where needed.
            kept = _settle_comments(listing() or [created], body, mine)
            if kept.id != created.id and comment.newer(comment.run_of(kept.body), mine):
                return _stale("withdrawn", kept.body, kept.html_url, mine)
            return f"comment: posted ({kept.html_url})"
        if mine is not None:  # re-read just before writing: a newer run may have edited it
            fresh = issue.get_comment(keep.id).body
            if comment.newer(comment.run_of(fresh), mine):
                return _stale("not posted", fresh, keep.html_url, mine)
        keep.edit(body)
        for duplicate in ours:  # a retried POST can leave two: keep one, heal the rest
            if duplicate.id != keep.id:
                _delete(duplicate)
        if mine is not None:  # a stale run that read before our edit may write after it
            for _ in range(REPAIRS):
                fresh = issue.get_comment(keep.id).body
                if not comment.newer(mine, comment.run_of(fresh)) or fresh == body:
                    break
                keep.edit(body)
        return f"comment: updated ({keep.html_url})"


PUBLISHER = GitHubPublisher()
REPAIRS = 3  # re-writes after a stale run's write landed over ours (each needs a new race)


# --- concurrent runs: the newer report wins (docs/design.md, Publishing) -------------------------


def _label(order: tuple[int, ...] | None) -> str:
    return ".".join(str(part) for part in order) if order else "unknown"


def _stale(what: str, their: str | None, url: str, mine: tuple[int, ...] | None) -> str:
    return (
        f"comment: {what}, run {comment.label_of(their)} posted a newer report ({url}); "
        f"this is run {_label(mine)}"
    )


def _survivor(comments: Sequence[IssueComment]) -> IssueComment:
    return comment.survivor(comments, lambda c: c.body, lambda c: c.id)


def _delete(item: IssueComment) -> None:
    """Delete a duplicate; one a racing run deleted first is gone already (404)."""
    from github import GithubException

    try:
        item.delete()
    except GithubException as exc:
        if exc.status != 404:
            raise


def _settle_comments(
    ours: Sequence[IssueComment], body: str, mine: tuple[int, ...]
) -> IssueComment:
    """After posting: keep the comment every racing run agrees on, delete the rest, and put our
    report in it when it holds an older one (ours was deleted for it)."""
    kept = _survivor(ours)
    for item in ours:
        if item.id != kept.id:
            _delete(item)
    if comment.newer(mine, comment.run_of(kept.body)):
        kept.edit(body)
    return kept


def _check_order(run: CheckRun) -> tuple[int, ...] | None:
    return comment.run_of(f"<!-- mlgate:run={run.external_id or ''} -->")


def _check_label(run: CheckRun) -> str:
    return _label(_check_order(run))


def _checks(repo: Repository, sha: str, name: str) -> list[CheckRun]:
    """This commit's check runs `name`; none when they cannot be listed (the ordering is a
    guard against stale runs, and must not stop the check run from being posted)."""
    try:
        return list(repo.get_commit(sha).get_check_runs(check_name=name, filter="all"))
    except api.api_errors():
        return []


def _newest_check(repo: Repository, sha: str, name: str) -> CheckRun | None:
    """This commit's check run `name` of the newest run (by external_id, then creation)."""
    runs = _checks(repo, sha, name)
    if not runs:
        return None
    return max(runs, key=lambda r: (_check_order(r) or (), r.id))


def _settle_check(
    repo: Repository, sha: str, name: str, ours: CheckRun, mine: tuple[int, ...]
) -> CheckRun | None:
    """After creating our check run: GitHub shows the last one created for a name, so

    - a newer run's check exists: ours (if it is the one shown) takes its conclusion and title,
      and the newer one is returned;
    - the one shown is a stale run's, created after ours: `ours` is returned (post again);
    - else None (ours is the one shown, or a newer one is shown).
    """
    runs = _checks(repo, sha, name)
    shown = max(runs, key=lambda r: r.id, default=ours)
    newest = max(runs, key=lambda r: (_check_order(r) or (), r.id), default=ours)
    if comment.newer(_check_order(newest), mine):
        if shown.id == ours.id:
            output = newest.output
            title = f"superseded by run {_check_label(newest)}: {output.title or ''}"[:1000]
            ours.edit(
                conclusion=newest.conclusion,
                output={"title": title, "summary": output.summary or title},
            )
        return newest
    if shown.id != ours.id and comment.newer(mine, _check_order(shown)):
        return ours
    return None


def _failed(message: str, done: list[str], hint: str | None = None) -> PublishError:
    suffix = f" (done: {'; '.join(done)})" if done else ""
    return PublishError(f"{message}{suffix}", hint=hint)


def _conclusion(report: Report) -> str:
    """success / failure; neutral when a blocking regression passed only because it was accepted."""
    if report.verdict == "pass" and any(g.accepted for g in report.gates):
        return "neutral"
    return CONCLUSION[report.verdict]


def _summary(report: Report) -> str:
    from mlgate.report.wording import TALLY, tally

    counts = tally(report, (*TALLY, "waived"))
    errors = f"{len(report.errors)} run errors" if report.errors else ""
    details = ", ".join(part for part in (counts, errors) if part) or "no gates"
    return f"mlgate {VERDICT_TITLE[report.verdict]}: {details}"


def _check_markdown(report: Report) -> str:
    from mlgate.report.markdown import render_markdown

    return render_markdown(report, max_chars=CHECK_SUMMARY_LIMIT)


def _annotations(posting: Posting) -> list[dict[str, Any]]:
    """Up to 50 check-run annotations on the config file, at the line of each gate to look at."""
    annotations = []
    for gate in posting.report.gates:
        level = ANNOTATION_LEVEL.get(gate.status)
        where = posting.locate(gate) if level else None
        if not where:
            continue
        annotations.append(
            {
                "path": where[0],
                "start_line": where[1],
                "end_line": where[1],
                "annotation_level": level if gate.blocking or level == "warning" else "warning",
                "title": gate.id[:255],
                "message": (gate.message or gate.status)[:4000],
            }
        )
    return annotations[:MAX_ANNOTATIONS]


def _locator(report: Report, env: Mapping[str, str], config: Path | None) -> workflow.Locate:
    """Map a gate to (config path relative to the repo root, line of its entry).

    Only `config`, the file this very process loaded (`mlgate run --publish`), is ever read.
    `mlgate publish` passes none: the report's `context.config` may name any file on the
    runner, and line numbers of words found in it would leak its content, so the report's path
    is used as a label at line 1, never opened.
    """
    named = report.context.get("config")
    if config is None:
        relative = isinstance(named, str) and named and not PurePosixPath(named).is_absolute()
        if not relative or ".." in PurePosixPath(str(named)).parts:
            return lambda gate: None
        return lambda gate: (PurePosixPath(str(named)).as_posix(), 1)
    path = Path(config)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    workspace = env.get("GITHUB_WORKSPACE")
    shown = named if isinstance(named, str) and named else path.as_posix()
    if workspace:
        with contextlib.suppress(ValueError):  # outside the workspace: as given
            shown = path.resolve().relative_to(Path(workspace).resolve()).as_posix()

    def locate(gate: GateResult) -> tuple[str, int]:
        name = (gate.name or gate.id.split(".", 1)[-1]).split("[", 1)[0]
        pattern = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])") if name else None
        for number, line in enumerate(lines, start=1):
            if pattern and pattern.search(line):
                return shown, number
        return shown, 1

    return locate
