"""Hostile baseline sources (issue 12.4-12.6): option injection into git, path escapes from URL
names, manifests and archives, downgrading and looping redirects, and unbounded input."""

from __future__ import annotations

import io
import json
import os
import re
import ssl
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from support.sourcekit import GIT_ENV, WHERE, commit_files, git

from mlgate.errors import BaselineError, ConfigError, MlgateError
from mlgate.load.baseline.resolver import SourceContext, fetch_spec, resolve


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


def ctx(root: Path, **env: str) -> SourceContext:
    quick = {"MLGATE_HTTP_TIMEOUT": "5", "MLGATE_HTTP_RETRIES": "0", "MLGATE_HTTP_BACKOFF": "0"}
    return SourceContext(root=root, cache=root / "cache", where=WHERE, env={**quick, **env})


# --- git: refs never become options ---------------------------------------------------------


def _clone_with_payload(tmp_path: Path) -> tuple[Path, Path]:
    """A shallow clone of a file:// remote, holding evil.sh (writes the marker when run)."""
    remote = tmp_path / "remote"
    remote.mkdir()
    git(remote, "init", "-q", "-b", "main")
    commit_files(remote, {"model.skops": b"production"}, "main")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{remote}", str(clone)],
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    marker = tmp_path / "PWNED"
    evil = clone / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch '{marker}'\nexec git-upload-pack \"$@\"\n")
    evil.chmod(0o755)
    return clone, marker


def test_the_upload_pack_payload_is_live_when_git_takes_it_as_an_option(tmp_path: Path) -> None:
    """The control: git itself runs evil.sh when it reads the ref as an option."""
    clone, marker = _clone_with_payload(tmp_path)
    subprocess.run(
        ["git", "fetch", "-q", "--upload-pack=./evil.sh", "origin", "main"],
        cwd=clone,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
    )
    assert marker.exists()


@pytest.mark.parametrize(
    "spec",
    [
        "git:origin/--upload-pack=./evil.sh:model.skops",
        "git:--upload-pack=./evil.sh:model.skops",
        "git:origin/-u./evil.sh:model.skops",
        "git:origin/--upload-pack=sh ./evil.sh:model.skops",
    ],
)
def test_an_upload_pack_payload_in_a_ref_never_runs(tmp_path: Path, spec: str) -> None:
    clone, marker = _clone_with_payload(tmp_path)
    with pytest.raises(MlgateError) as info:
        fetch_spec(spec, ctx(clone))
    assert not marker.exists()
    assert isinstance(info.value, (BaselineError, ConfigError))
    [line] = info.value.lines()
    ref = spec.split(":")[1]
    assert repr(ref.removeprefix("origin/")) in line or repr(ref) in line, line


# --- paths: nothing is written or read outside its folder ----------------------------------


def test_a_url_file_name_with_encoded_slashes_stays_in_the_cache(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(re.compile(r"^/m/.*x\.skops$")).respond_with_data(b"model")
    url = httpserver.url_for("/m/") + "..%2F..%2F..%2Fx.skops"
    path = fetch_spec(url, ctx(tmp_path))
    assert path.name == "x.skops" and path.read_bytes() == b"model"
    assert path.resolve().is_relative_to((tmp_path / "cache").resolve())
    assert not (tmp_path / "x.skops").exists() and not (tmp_path.parent / "x.skops").exists()


@pytest.mark.parametrize("model", ["/etc/passwd", "../outside.skops", "a/../../outside.skops"])
def test_a_saved_baseline_manifest_names_only_files_inside_its_folder(
    tmp_path: Path, model: str
) -> None:
    (tmp_path / "outside.skops").write_bytes(b"not the baseline")
    folder = tmp_path / "project" / "mlgate-baseline"
    folder.mkdir(parents=True)
    manifest = {"schema": "mlgate.baseline/v1", "model": model, "report": "report.json"}
    (folder / "baseline.json").write_text(json.dumps(manifest))
    with pytest.raises(BaselineError) as info:
        resolve("mlgate-baseline", ctx(tmp_path / "project"))
    assert info.value.lines() == [
        f"{WHERE}: {folder / 'baseline.json'} names a path outside its folder ({model!r})"
    ]


def test_inside_refuses_every_escape(tmp_path: Path) -> None:
    from mlgate.load.baseline.common import inside

    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "link").symlink_to(tmp_path)
    for name in ("/abs", "..", "a/../..", "C:x", "a\\..\\b", "x\0y", "link/escaped", ""):
        with pytest.raises(BaselineError):
            inside(tmp_path / "f", name, where="w", label="l")
    assert inside(tmp_path / "f", "ok/model.skops", where="w", label="l") == (
        tmp_path / "f" / "ok" / "model.skops"
    )


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_anything_is_written(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    bomb = _zip({"model.skops": b"\0" * (20 * 1024 * 1024)})  # 20 MiB in about 20 KiB
    httpserver.expect_request("/b.zip").respond_with_data(bomb)
    with pytest.raises(BaselineError) as info:
        fetch_spec(httpserver.url_for("/b.zip"), ctx(tmp_path))
    [line] = info.value.lines()
    assert line.startswith(f"{WHERE}: {httpserver.url_for('/b.zip')} would unpack to 20,971,520 ")
    assert line.endswith(
        "allowed; refused (raise MLGATE_MAX_DOWNLOAD_MB or MLGATE_MAX_UNPACK_RATIO if it is "
        "expected)"
    )
    assert not list((tmp_path / "cache").rglob("model.skops"))


def test_a_download_larger_than_the_cap_is_refused(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big.skops").respond_with_data(b"x" * (2 * 1024 * 1024))
    url = httpserver.url_for("/big.skops")
    with pytest.raises(BaselineError) as info:
        fetch_spec(url, ctx(tmp_path, MLGATE_MAX_DOWNLOAD_MB="1"))
    assert info.value.lines() == [
        f"{WHERE}: {url} is larger than 1,048,576 bytes; refused (raise MLGATE_MAX_DOWNLOAD_MB "
        "if the baseline really is that large)"
    ]
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


# --- redirects --------------------------------------------------------------------------------


def test_a_redirect_to_a_file_url_is_one_line(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/m.skops").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    url = httpserver.url_for("/m.skops")
    with pytest.raises(BaselineError) as info:
        fetch_spec(url, ctx(tmp_path))
    assert info.value.lines() == [
        f"{WHERE}: {url} redirects to file:///etc/passwd: refused (only https, or http to "
        "https) (point models.baseline at the final https URL)"
    ]


def test_a_redirect_loop_is_one_line(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    url = httpserver.url_for("/a")
    with pytest.raises(BaselineError) as info:
        fetch_spec(url, ctx(tmp_path))
    assert info.value.lines() == [
        f"{WHERE}: {url} redirects more than 5 times; refused (point models.baseline at the "
        "final URL)"
    ]


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """An https server on 127.0.0.1 with a throwaway certificate the client is told to trust."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", ssl_context=context)
    server.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    yield server
    server.stop()


def test_an_https_baseline_never_follows_a_redirect_to_http(
    tmp_path: Path, tls_server: HTTPServer, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/m.skops").respond_with_data(b"downgraded")
    plain = httpserver.url_for("/m.skops")
    tls_server.expect_request("/m.skops").respond_with_data(
        "", status=301, headers={"Location": plain}
    )
    url = tls_server.url_for("/m.skops")
    assert url.startswith("https://")
    with pytest.raises(BaselineError) as info:
        fetch_spec(url, ctx(tmp_path))
    assert info.value.lines() == [
        f"{WHERE}: {url} redirects to {plain}: refused (only https, or http to https) (point "
        "models.baseline at the final https URL)"
    ]
    assert not httpserver.log  # the plain-http URL was never asked


@pytest.mark.parametrize("name", ["ABSOLUTE", "../../evil.skops"])
def test_a_gitlab_artifact_manifest_cannot_write_outside_its_folder(
    httpserver_ipv4: Any, tmp_path: Path, name: str
) -> None:
    from support.gitlab_fake import FakeGitLab

    gitlab_api = FakeGitLab(httpserver_ipv4).install()
    escape = tmp_path / "escape" / "evil.skops"
    name = str(escape) if name == "ABSOLUTE" else name
    manifest = {"schema": "mlgate.baseline/v1", "model": "model.skops", "files": [name]}
    gitlab_api.artifacts["main", "mlgate", "mlgate-baseline/baseline.json"] = json.dumps(
        manifest
    ).encode()
    gitlab_api.artifacts["main", "mlgate", "mlgate-baseline/model.skops"] = b"m"
    gitlab_api.artifacts["main", "mlgate", f"mlgate-baseline/{name}"] = b"evil"
    source = SourceContext(
        root=tmp_path, cache=tmp_path / ".cache", where=WHERE, env=gitlab_api.env()
    )
    with pytest.raises(BaselineError) as info:
        resolve("gitlab-artifact:mlgate:mlgate-baseline", source)
    assert info.value.lines() == [
        f"{WHERE}: mlgate-baseline/baseline.json of job 'mlgate' names a path outside its "
        f"folder ({name!r})"
    ]
    assert not escape.exists()
    assert (
        not (tmp_path / "evil.skops").exists() and not (tmp_path / ".cache" / "evil.skops").exists()
    )
