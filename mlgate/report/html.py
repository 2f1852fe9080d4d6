"""`report.html`: one standalone file (inline CSS and SVG, no script, no network), printable."""

from __future__ import annotations

from mlgate import __version__
from mlgate.records import Report
from mlgate.report import breakdowns, charts, view, wording
from mlgate.report import filters as f
from mlgate.report.templating import render_template


def render_html(report: Report) -> str:
    """The full report: verdict, every gate, and charts for what the report carries."""
    report = view.normalize(report)
    version = report.context.get("mlgate_version") if isinstance(report.context, dict) else None
    return render_template(
        "html",
        "report.html.j2",
        report=report,
        headline=view.headline(report),
        summary=wording.counted(report),  # inconclusive passes counted apart
        errors=list(report.errors),
        baseline=view.baseline_sentence(report),
        evaluated=view.evaluation_sentence(report),
        facts=[(label, value) for label, value in view.run_facts(report) if label != "mlgate"],
        links=view.links(report),
        ci=view.ci_label(report),
        run_alpha=view.alpha(report),
        gates=view.ordered(report.gates),
        forest=charts.forest(report),
        trends=charts.trends(report),
        curves=charts.curves(report),
        curve_rows=report.diagnostics.get("curve_rows"),
        confusions=charts.confusions(report),
        predicted=charts.predicted_vs_actual(report),
        residuals=charts.residuals(report),
        residual_slices=charts.residual_slices(report),
        slices=breakdowns.slices(report),
        drift=breakdowns.drift(report),
        overlays=breakdowns.overlays(report),
        latency=breakdowns.latency(report),
        sizes=breakdowns.sizes(report),
        version=f.clip(version, 20) if version else __version__,
    )
