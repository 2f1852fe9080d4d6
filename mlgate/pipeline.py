"""The pipeline: config → load → measure → compare → decide → Report. No rendering, no posting."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.compare import Policy, compare_all
from mlgate.config import LoadedConfig
from mlgate.decide import Rules, Waiver, decide, verdict_of
from mlgate.errors import ConfigError, MlgateError
from mlgate.load.inputs import Inputs
from mlgate.measure import GATE_KINDS, GateKind, load_kind
from mlgate.records import GateResult, Measurement, Report
from mlgate.report import wording


@dataclass(frozen=True)
class RunOptions:
    out_dir: Path
    baseline: str | None = None  # overrides models.baseline (`--baseline`, `mlgate check`)
    accepted: str | None = None  # regressions accepted (PR label), set by the caller
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    progress: Callable[[str], None] | None = None  # told each long step (`mlgate check` shows it)
    validated: bool = False  # the caller ran `validate` already (`mlgate baseline save`)


def configured_kinds(loaded: LoadedConfig) -> dict[str, GateKind]:
    """The gate kinds the config uses, in run order (data, model, performance, plugins)."""
    kinds = {
        name: load_kind(name) for name in GATE_KINDS if getattr(loaded.config.gates, name, None)
    }
    from mlgate.measure.plugins import plugin_kinds

    kinds.update(plugin_kinds(loaded))  # only those named under gates.plugins are imported
    return kinds


def validate(
    loaded: LoadedConfig,
    kinds: Mapping[str, GateKind],
    *,
    baseline: str | None = None,
    recording: bool = False,
) -> None:
    """Every config problem in one pass, before anything heavy loads: the schema was checked on
    load; here every reference must resolve (columns from the data header, model files, gate
    ids in waivers and warn_only) and each kind checks its own gates. All problems are collected
    into one ConfigError (exit 2).

    `baseline` is a `--baseline` override; `recording` is `mlgate baseline save` (no baseline is
    compared with, so none is needed or checked).
    """
    from mlgate.config.references import Ids, unresolved

    problems: list[str] = []
    if not kinds:
        problems.append(
            f"{loaded.where('gates')}: no gates configured; add gates.data, gates.model, "
            "gates.performance or gates.custom"
        )
    problems.extend(_column_problems(loaded))
    problems.extend(_model_file_problems(loaded))
    if not recording and baseline is None:
        problems.extend(_missing_baseline(loaded))
    ids = Ids()
    for name, kind in kinds.items():
        problems.extend(kind.validate(loaded))
        if name == "custom":
            for gate in loaded.config.gates.custom:
                prefix = gate.id_prefix or "custom"
                ids.exact.append(prefix)
                ids.prefixes.append(f"{prefix}.")
        elif name == "performance":
            from mlgate.measure.performance.gate import parse

            ids.exact.extend(g.id for g in parse(loaded))
        elif hasattr(kind, "gate_ids"):
            exact, prefixes = kind.gate_ids(loaded)
            ids.exact.extend(exact)
            ids.prefixes.extend(prefixes)
        else:  # a plugin kind: its ids are known once it runs
            ids.open_families = True
    problems.extend(unresolved(loaded, ids))
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))


def _column_problems(loaded: LoadedConfig) -> list[str]:
    """data.id and data.features must name columns of the eval data (read from its header)."""
    from mlgate.load.tables import read_header
    from mlgate.support.text import did_you_mean

    data = loaded.config.data
    header = read_header(loaded.resolve(data.eval))
    if header is None:
        return []  # unreadable or missing: reading it says why (exit 3)

    def missing(key: str, column: str) -> str:
        hint = did_you_mean(column, header)
        return f"{loaded.where(key)}: column {column!r} is not in {data.eval}{hint}"

    out = []
    if data.id is not None and data.id not in header:
        out.append(missing("data.id", data.id))
    for i, column in enumerate(data.features or []):
        if column not in header:
            out.append(missing(f"data.features[{i}]", column))
        elif column == data.target:
            out.append(
                f"{loaded.where(f'data.features[{i}]')}: {column!r} is data.target; the label "
                "cannot be a feature"
            )
    return out


def _model_file_problems(loaded: LoadedConfig) -> list[str]:
    """The candidate's model or predictions file must exist (did-you-mean from its folder).

    The baseline is not checked here: an unreachable baseline is an input that could not be
    read (exit 3), found when it is resolved.
    """
    models = loaded.config.models
    if models is None:
        return []
    spec = models.candidate
    if spec.predictions:
        return _file_problem(loaded, "models.candidate.predictions", spec.predictions, "file")
    if spec.path:
        from mlgate.load.baseline.resolver import SCHEME, SOURCES

        scheme = SCHEME.match(spec.path)
        if scheme and scheme["scheme"] in SOURCES:  # a source spec (mlflow:…), fetched later
            return []
        return _file_problem(loaded, "models.candidate", spec.path, "model file")
    return []


def _file_problem(loaded: LoadedConfig, key: str, relative: str, what: str) -> list[str]:
    from mlgate.support.text import close_matches

    path = loaded.resolve(relative)
    if path.exists():
        return []
    hint = " (paths are relative to the config file)"
    if path.parent.is_dir():
        near = [p.name for p in path.parent.iterdir() if p.is_file()]
        close = close_matches(path.name, near)
        if close:
            shown = str(Path(relative).parent / close[0]) if "/" in relative else close[0]
            hint = f"; did you mean {shown}?"
    return [f"{loaded.where(key)}: {what} not found: {relative}{hint}"]


def _missing_baseline(loaded: LoadedConfig) -> list[str]:
    """Relative thresholds compare with production: without a baseline they cannot run."""
    models = loaded.config.models
    if models is None or models.baseline is not None:
        return []
    out = [
        f"{loaded.where(f'gates.model[{i}]')}: {gate.metric} has a relative threshold "
        "(max_drop/max_increase) but there is no production baseline (set models.baseline, or "
        "pass --baseline SPEC)"
        for i, gate in enumerate(loaded.config.gates.model)
        if gate.max_drop is not None or gate.max_increase is not None
    ]
    for i, item in enumerate(loaded.config.gates.performance):
        for key, budget in item.items():
            if budget.max_drop is not None or budget.max_increase is not None:
                out.append(
                    f"{loaded.where(f'gates.performance[{i}].{key}')}: a relative budget "
                    "(max_increase/max_drop) needs the production model, and there is no "
                    "models.baseline (set models.baseline, or pass --baseline SPEC)"
                )
    return out


def execute(loaded: LoadedConfig, options: RunOptions) -> Report:
    """Run every configured gate and decide. Config problems raise; per-gate problems are gates."""
    started = time.perf_counter()
    kinds = configured_kinds(loaded)
    from mlgate.load.baseline.cache import cache_root

    cache = cache_root(loaded.root, options.env)  # outside the checkout: nothing a PR can plant
    forked = _fork_data_gates(loaded, kinds, options, cache)
    if forked is not None:
        kinds = {**kinds, "data": forked}
    try:
        return _execute(loaded, kinds, options, cache, started)
    finally:
        if forked is not None:
            forked.end()


def _execute(
    loaded: LoadedConfig,
    kinds: dict[str, GateKind],
    options: RunOptions,
    cache: Path,
    started: float,
) -> Report:
    if not options.validated:
        validate(loaded, kinds, baseline=options.baseline)
    inputs = Inputs(loaded, cache_dir=cache, baseline_spec=options.baseline)
    try:
        return _evaluate(loaded, kinds, options, inputs, started)
    finally:
        inputs.release()


def _evaluate(
    loaded: LoadedConfig,
    kinds: dict[str, GateKind],
    options: RunOptions,
    inputs: Inputs,
    started: float,
) -> Report:
    say = options.progress or (lambda _step: None)
    say("reading the eval data")
    # an unreadable eval file stops the run: nothing can be evaluated without it
    _ = inputs.spark_eval if inputs.engine == "spark" else inputs.eval

    measured: dict[str, list[Measurement]] = {}
    found: dict[str, dict[str, Any]] = {}
    for name, kind in kinds.items():
        say(f"measuring the {name} gates")
        if not isinstance(kind, ForkedKind):  # a forked kind measures meanwhile: read it last
            measured[name], found[name] = _measure(name, kind, inputs)
    for name, kind in kinds.items():
        if isinstance(kind, ForkedKind):
            measured[name], found[name] = _measure(name, kind, inputs)
    measurements = [m for name in kinds for m in measured[name]]  # in run order
    diagnostics: dict[str, Any] = {}
    for name in kinds:
        diagnostics.update(found[name])

    policy = loaded.config.policy
    comparisons = compare_all(
        measurements, Policy(alpha=policy.significance, strict=policy.mode == "strict")
    )
    rules = Rules(
        warn_only=tuple(policy.warn_only),
        waivers=tuple(Waiver(w.gate, w.reason, w.owner, w.expires) for w in loaded.config.waivers),
        accepted=options.accepted,
    )
    gates = wording.worded_all(comparisons, decide([c.result for c in comparisons], rules))
    say("comparing the config and eval data with the merge-base")
    guard = rules_guard(loaded, inputs, options)
    context = build_context(loaded, inputs, options.env)
    if guard is not None:
        comparison, gate = guard
        context["config_base"] = comparison.to_context()
        context["config_changes"] = [c.to_dict() for c in comparison.changes]
        if gate is not None:
            gates.insert(0, gate)
    context["duration_s"] = round(time.perf_counter() - started, 3)
    if options.accepted:
        context["accepted"] = options.accepted
    return Report(
        verdict=verdict_of(gates), gates=tuple(gates), context=context, diagnostics=diagnostics
    )


def _measure(name: str, kind: GateKind, inputs: Inputs) -> tuple[list[Measurement], dict[str, Any]]:
    """One kind's Measurements (a failure of the kind as a whole is one error Measurement) and
    its diagnostics."""
    try:
        measured = kind.measure(inputs)
    except ConfigError:
        raise
    except MlgateError as exc:
        measured = [Measurement(id=name, kind=_kind_of(name), name=name, error=exc.lines()[0])]
    return measured, kind.diagnostics(inputs)


def _fork_data_gates(
    loaded: LoadedConfig, kinds: Mapping[str, GateKind], options: RunOptions, cache: Path
) -> ForkedKind | None:
    """The data gates in a fork of this process, when other gates load models meanwhile.

    Importing Great Expectations (2-3 s) and importing scikit-learn and loading both models
    (about 1.5 s on a small project) are both bound to one core by the GIL, so threads overlap
    nothing; a fork runs the data kind's validation and measurement on the other core, and the
    pipeline reads its answers where it would have computed them (docs/design.md §1). Linux and
    the pandas engine only, not when the caller validated already; MLGATE_OVERLAP=0 turns it
    off."""
    import sys

    from mlgate.config.settings import Settings

    if (
        "data" not in kinds
        or not {"model", "performance"} & set(kinds)
        or loaded.config.engine.name != "pandas"
        or options.validated
        or not sys.platform.startswith("linux")
        or not Settings.from_env(options.env, only=("overlap",)).overlap
    ):
        return None
    return ForkedKind(
        kinds["data"],
        loaded,
        lambda: Inputs(loaded, cache_dir=cache, baseline_spec=options.baseline),
        warm=_import_model_libraries,
    )


def _import_model_libraries() -> None:
    """Import what scoring and loading models needs (not any model: nothing the user wrote)."""
    import importlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("sklearn.metrics", "skops.io"):
            try:
                importlib.import_module(name)
            except ImportError:  # the model gate says what is missing, in its place
                continue


class ForkedKind:
    """A gate kind run in a fork: validate there, then measure at once; the answers come back
    pickled on a pipe, read when the pipeline asks for them. A failure there is raised here as
    it was raised there; the fork ends with the run (`end`), whatever ends it."""

    def __init__(
        self,
        kind: GateKind,
        loaded: LoadedConfig,
        make_inputs: Callable[[], Inputs],
        warm: Callable[[], None] | None = None,
    ) -> None:
        self.kind, self.name, self.warm = kind, kind.name, warm
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the parent's code
            status = 1
            try:
                os.close(read)
                self._child(write, loaded, make_inputs)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pipe = os.fdopen(read, "rb")

    def _child(self, fd: int, loaded: LoadedConfig, make_inputs: Callable[[], Inputs]) -> None:
        import pickle
        import traceback

        with os.fdopen(fd, "wb") as pipe:

            def send(*answer: Any) -> None:
                data = pickle.dumps(answer)  # whole or not at all: no half answer on the pipe
                pipe.write(data)
                pipe.flush()

            try:
                problems = self.kind.validate(loaded)
                send("value", problems)
                if problems:
                    return
                measured, found = _measure(self.name, self.kind, make_inputs())
                send("value", measured)
                send("value", found)
            except MlgateError as exc:
                send("raise", exc)
            except Exception:  # a bug: the parent says so with this traceback
                send("crash", traceback.format_exc())

    def _next(self) -> Any:
        """The fork's next answer, as it gave it (a value, or its error raised here)."""
        import pickle

        try:
            how, value = pickle.load(self._pipe)
        except EOFError:
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            code = os.waitstatus_to_exitcode(status)
            raise MlgateError(
                f"the {self.name} gates' process ended without an answer (exit code {code})"
            ) from None
        if how == "raise":
            raise value
        if how == "crash":
            raise RuntimeError(f"the {self.name} gates failed in their process:\n{value}")
        return value

    def configured(self, loaded: LoadedConfig) -> bool:
        return self.kind.configured(loaded)

    def validate(self, loaded: LoadedConfig) -> list[str]:
        """The fork's problems; while it validates (importing GX), this process imports what
        the model gates will need — no model is read before the config is known to be valid."""
        if self.warm is not None:
            self.warm()
        problems: list[str] = self._next()
        return problems

    def gate_ids(self, loaded: LoadedConfig) -> Any:
        return self.kind.gate_ids(loaded)  # type: ignore[attr-defined]

    def measure(self, inputs: Inputs) -> list[Measurement]:
        measured: list[Measurement] = self._next()
        return measured

    def diagnostics(self, inputs: Inputs) -> dict[str, Any]:
        found: dict[str, Any] = self._next()
        return found

    def end(self) -> None:
        """Stop the fork if it still runs, and reap it."""
        import contextlib
        import signal

        self._pipe.close()
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0


def rules_guard(
    loaded: LoadedConfig, inputs: Inputs, options: RunOptions
) -> tuple[Any, GateResult | None] | None:
    """The PR's config and eval data against the merge-base's (None: no git repository).

    With `policy.config_changes: require-approval` in the **base** config, any change but a
    tightening is a blocking gate `policy.config_changes` until the accept label is on the PR.
    """
    from mlgate.load.merge_base import compare

    spark = inputs.engine == "spark"  # the rows stay in Spark: never collected for a diff
    try:
        eval_frame = None if spark else inputs.eval
    except MlgateError:
        eval_frame = None
    comparison = compare(loaded, options.env, eval_frame)
    if comparison is None:
        return None
    if spark and comparison.commit:
        comparison.eval_change = {"note": "eval data not compared row by row (engine: spark)"}
    blocking = comparison.blocking
    if comparison.policy != "require-approval" or not blocking:
        return comparison, None
    label = comparison.base_accept_label or loaded.config.publish.accept_label
    message = wording.config_changes_message(blocking, label)
    gate = GateResult(
        id="policy.config_changes",
        kind="data",
        status="fail",
        blocking=True,
        message=message,
        name="config changes",
        details={"changes": [c.to_dict() for c in blocking]},
    )
    if options.accepted:
        gate = gate.with_status(
            "warn",
            blocking=False,
            note=f"config change accepted: {options.accepted}",
            accepted=True,
        )
    return comparison, gate


def error_report(lines: list[str], *, context: dict[str, Any] | None = None) -> Report:
    """The report of a run that could not evaluate at all (bad config, unreadable eval data)."""
    return Report(verdict="error", gates=(), errors=tuple(lines), context=context or {})


def _kind_of(name: str) -> Any:
    """The report kind of a gate-kind-level error (custom checks report as model gates)."""
    return name if name in ("data", "model", "performance") else "model"


def build_context(loaded: LoadedConfig, inputs: Inputs, env: Mapping[str, str]) -> dict[str, Any]:
    """Where and against what this run happened (CI, commit, baseline, eval data)."""
    from mlgate.platforms.ci import ci_context, detect_platform

    context: dict[str, Any] = ci_context(env, loaded.root)
    context.update(
        config=loaded.display,
        mlgate_version=__version__,
        alpha=loaded.config.policy.significance,
        mode=loaded.config.policy.mode,
    )
    try:
        if inputs.engine == "spark":
            from mlgate.load.spark import eval_context

            eval_info = eval_context(inputs.spark_eval, inputs.config.data.eval)
        else:
            eval_info = {
                "path": loaded.config.data.eval,
                "rows": len(inputs.eval),
                "fingerprint": inputs.fingerprint,
            }
    except MlgateError:
        eval_info = {"path": loaded.config.data.eval}
    context["eval"] = eval_info
    if inputs.engine == "spark":  # the pandas engine's report stays byte-for-byte as it was
        from mlgate.measure.data.spark import engine_context

        context["engine"] = engine_context(inputs)
    spec = inputs.baseline_spec
    # the one redaction: a URL's user:password@, query (presigned signature) and fragment never
    # enter the report, so no output rendered from it can hold them
    from mlgate.load.baseline.resolver import shown_spec

    baseline: dict[str, Any] = {"spec": shown_spec(spec), "kind": "none", "paired": False}
    try:
        resolved = inputs.baseline_source
        if resolved is not None:
            baseline.update(kind=resolved.kind, paired=resolved.paired, note=resolved.note)
    except MlgateError as exc:
        baseline.update(kind="error", note=exc.lines()[0])
    models = loaded.config.models
    if models and models.baseline and models.baseline.factory and not spec:
        baseline.update(spec=models.baseline.factory, kind="model", paired=True)
    context["baseline"] = baseline
    context.setdefault("ci", detect_platform(env) or "local")
    return context
