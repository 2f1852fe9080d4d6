"""No URL credential in any output (issue 12.2): a baseline URL with user:password@ and a presigned
query string; every file the run writes (report.json, report.md, report.html, junit.xml,
metrics.txt, the cache), the terminal, and the error report when the download fails."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest
from pytest_httpserver import HTTPServer
from support.projects import Project, base_config

from mlgate.load.baseline.resolver import shown_spec

PASSWORD = "s3cr3t-pass-word"
SIGNATURE = "SIGSECRET0123456789abcdef"
SECRETS = (PASSWORD, SIGNATURE, "X-Amz-Signature", "deploy-user")


def secret_url(server: HTTPServer, path: str) -> str:
    parts = urlsplit(server.url_for(path))
    netloc = f"deploy-user:{PASSWORD}@{parts.netloc}"
    query = f"X-Amz-Signature={SIGNATURE}&X-Amz-Expires=60"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def leaks(project: Project, *texts: str) -> list[str]:
    found = []
    for path in sorted((project.root / "mlgate-report").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {s}" for s in SECRETS if s.encode() in data]
    for index, text in enumerate(texts):
        found += [f"output {index}: {s}" for s in SECRETS if s in text]
    return found


def test_shown_spec_redacts_every_url_form() -> None:
    url = f"https://u:{PASSWORD}@h.example/m.skops?sig={SIGNATURE}"
    assert shown_spec(url) == "https://h.example/m.skops?[masked]"
    assert shown_spec(f"report:{url}") == "report:https://h.example/m.skops?[masked]"
    assert shown_spec("git:main:models/m.skops") == "git:main:models/m.skops"
    assert shown_spec(None) is None


@pytest.mark.parametrize("prefix", ["", "report:"])
def test_no_output_holds_a_url_secret_when_the_download_works(
    project: Project, httpserver: HTTPServer, prefix: str
) -> None:
    if prefix:  # a saved report served by URL: written by a first run, read by the second
        project.config(base_config("models/production.skops"))
        saved = project.run("baseline", "save")
        assert saved.returncode == 0, saved.stderr
        body = (project.root / "mlgate-baseline" / "report.json").read_bytes()
        httpserver.expect_request("/base/report.json").respond_with_data(body)
        url = secret_url(httpserver, "/base/report.json")
    else:
        body = (project.root / "models" / "production.skops").read_bytes()
        httpserver.expect_request("/base/model.skops").respond_with_data(body)
        url = secret_url(httpserver, "/base/model.skops")
    doc = base_config()
    doc["models"]["baseline"] = prefix + url
    project.config(doc)
    out = project.run("run")
    assert out.returncode in (0, 1), out.stdout + out.stderr
    assert httpserver.log, "the baseline was downloaded"
    rendered = project.run("render", "mlgate-report", "--format", "md")
    assert leaks(project, out.stdout, out.stderr, rendered.stdout, rendered.stderr) == []
    report = project.report()
    assert report["context"]["baseline"]["spec"].endswith(
        "/base/" + url.rsplit("/", 1)[1].split("?")[0] + "?[masked]"
    )
    names = {p.name for p in (project.root / "mlgate-report").iterdir()}
    assert {"report.json", "report.md", "report.html", "junit.xml", "metrics.txt"} <= names


def test_no_output_holds_a_url_secret_when_the_download_fails(
    project: Project, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/base/model.skops").respond_with_data(b"no", status=404)
    doc = base_config()
    doc["models"]["baseline"] = secret_url(httpserver, "/base/model.skops")
    project.config(doc)
    out = project.run("run")
    assert out.returncode == 3, out.stdout + out.stderr
    assert "was not found (HTTP 404)" in out.stdout + out.stderr
    assert leaks(project, out.stdout, out.stderr) == []
    assert (project.root / "mlgate-report" / "report.json").is_file()
