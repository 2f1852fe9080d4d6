"""`https://…` baselines against a real HTTP server: pins, cache, retries, timeouts, errors."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from support.sourcekit import WHERE
from werkzeug import Request, Response

from mlgate.errors import BaselineError, ConfigError
from mlgate.load.baseline.resolver import SourceContext, fetch_spec, resolve

Ctx = Callable[..., SourceContext]
BODY = b"model bytes " * 100
DIGEST = hashlib.sha256(BODY).hexdigest()
HANG_GUARD_S = 120  # only against a hung test


def test_download_keeps_the_file_name(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/models/model.skops").respond_with_data(BODY)
    path = fetch_spec(server.url_for("/models/model.skops"), make_ctx())
    assert path.name == "model.skops"
    assert path.read_bytes() == BODY
    assert server.log[0][0].headers["User-Agent"].startswith("mlgate/")


def test_pinned_download_is_served_from_the_cache(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/m.skops").respond_with_data(BODY)
    url = server.url_for("/m.skops")
    first = fetch_spec(url, make_ctx(sha256=DIGEST))
    second = fetch_spec(f"{url}#sha256={DIGEST}", make_ctx())
    third = fetch_spec(url, make_ctx(sha256=f"sha256:{DIGEST.upper()}"))
    assert first == second == third
    assert len(server.log) == 1  # the pin makes the cached copy trustworthy: no second request


def test_unpinned_download_is_revalidated_with_its_etag(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/m.skops", headers={"If-None-Match": '"v1"'}).respond_with_data(
        b"", status=304
    )
    server.expect_request("/m.skops").respond_with_data(BODY, headers={"ETag": '"v1"'})
    url = server.url_for("/m.skops")
    first = fetch_spec(url, make_ctx())
    second = fetch_spec(url, make_ctx())
    assert first == second and second.read_bytes() == BODY
    assert [r.headers.get("If-None-Match") for r, _ in server.log] == [None, '"v1"']


def test_checksum_mismatch_names_both_hashes_and_caches_nothing(
    server: HTTPServer, make_ctx: Ctx
) -> None:
    server.expect_request("/m.skops").respond_with_data(b"tampered")
    expected = "0" * 64
    with pytest.raises(BaselineError) as info:
        fetch_spec(server.url_for("/m.skops"), make_ctx(sha256=expected))
    actual = hashlib.sha256(b"tampered").hexdigest()
    assert info.value.exit_code == 3
    assert info.value.lines() == [
        f"{WHERE}: checksum mismatch for {server.url_for('/m.skops')}: expected sha256 {expected}, "
        f"got {actual} (the file changed since it was pinned; if that is intended, update "
        "models.baseline.sha256)"
    ]
    assert not [p for p in (Path(make_ctx().cache)).rglob("*") if p.is_file()]


def test_404_is_a_baseline_error(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/gone.skops").respond_with_data(b"no", status=404)
    with pytest.raises(BaselineError) as info:
        fetch_spec(server.url_for("/gone.skops"), make_ctx())
    assert info.value.lines() == [
        f"{WHERE}: {server.url_for('/gone.skops')} was not found (HTTP 404) "
        "(check the URL; has the baseline been published there?)"
    ]
    assert len(server.log) == 1  # a 404 is an answer, not a hiccup: no retry


def test_403_says_no_credentials_are_sent(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/m.skops").respond_with_data(b"no", status=403)
    with pytest.raises(BaselineError) as info:
        fetch_spec(server.url_for("/m.skops"), make_ctx())
    assert info.value.lines() == [
        f"{WHERE}: {server.url_for('/m.skops')} refused access (HTTP 403) (mlgate sends no "
        "credentials to URLs: use a presigned URL or an artifact spec)"
    ]


def test_503_then_200_is_retried(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_oneshot_request("/m.skops").respond_with_data(b"busy", status=503)
    server.expect_request("/m.skops").respond_with_data(BODY)
    path = fetch_spec(server.url_for("/m.skops"), make_ctx(sha256=DIGEST))
    assert path.read_bytes() == BODY
    assert len(server.log) == 2


def test_429_honours_retry_after(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_oneshot_request("/m.skops").respond_with_data(
        b"slow down", status=429, headers={"Retry-After": "0.3"}
    )
    server.expect_request("/m.skops").respond_with_data(BODY)
    start = time.monotonic()
    fetch_spec(server.url_for("/m.skops"), make_ctx())
    assert time.monotonic() - start >= 0.3  # MLGATE_HTTP_BACKOFF is 0: the wait is the server's


def test_persistent_503_gives_up_after_the_retries(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/m.skops").respond_with_data(b"busy", status=503)
    with pytest.raises(BaselineError) as info:
        fetch_spec(server.url_for("/m.skops"), make_ctx(MLGATE_HTTP_RETRIES="2"))
    assert info.value.lines() == [
        f"{WHERE}: cannot download {server.url_for('/m.skops')}: HTTP 503 SERVICE UNAVAILABLE "
        "(3 attempts) (check the URL and the network; MLGATE_HTTP_TIMEOUT and "
        "MLGATE_HTTP_RETRIES set the timeout and the retries)"
    ]
    assert len(server.log) == 3


def test_a_server_slower_than_the_timeout(server: HTTPServer, make_ctx: Ctx) -> None:
    """The server answers only once the client has given up (an event, not a sleep): the
    client timed out, twice, without waiting for the body — however loaded the machine is."""
    gave_up = threading.Event()
    answered: list[bool] = []

    def slow(_request: Request) -> Response:
        gave_up.wait(HANG_GUARD_S)
        answered.append(True)
        return Response(BODY)

    server.expect_request("/m.skops").respond_with_handler(slow)
    try:
        with pytest.raises(BaselineError) as info:
            fetch_spec(
                server.url_for("/m.skops"),
                make_ctx(MLGATE_HTTP_TIMEOUT="0.2", MLGATE_HTTP_RETRIES="1"),
            )
        assert answered == []  # it gave up before any answer came
    finally:
        gave_up.set()
    assert info.value.lines() == [
        f"{WHERE}: cannot download {server.url_for('/m.skops')}: timed out after 0.2 s "
        "(2 attempts) (check the URL and the network; MLGATE_HTTP_TIMEOUT and "
        "MLGATE_HTTP_RETRIES set the timeout and the retries)"
    ]


def test_connection_refused(make_ctx: Ctx) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(BaselineError) as info:
        fetch_spec(f"http://127.0.0.1:{port}/m.skops", make_ctx(MLGATE_HTTP_RETRIES="0"))
    assert info.value.lines()[0] == (
        f"{WHERE}: cannot download http://127.0.0.1:{port}/m.skops: cannot connect: connection "
        "refused (1 attempt) (check the URL and the network; MLGATE_HTTP_TIMEOUT and "
        "MLGATE_HTTP_RETRIES set the timeout and the retries)"
    )


def test_credentials_in_the_url_never_reach_a_message(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/m.skops").respond_with_data(b"busy", status=503)
    url = server.url_for("/m.skops").replace("http://", "http://user:hunter2@") + "?sig=s3cr3t"
    with pytest.raises(BaselineError) as info:
        fetch_spec(url, make_ctx(MLGATE_HTTP_RETRIES="0"))
    line = info.value.lines()[0]
    assert "hunter2" not in line and "s3cr3t" not in line
    assert f"cannot download {server.url_for('/m.skops')}?[masked]: HTTP 503" in line


def test_a_zipped_saved_baseline_is_unpacked(server: HTTPServer, make_ctx: Ctx) -> None:
    report = {"schema": "mlgate.report/v1", "verdict": "pass", "gates": []}
    manifest = {"schema": "mlgate.baseline/v1", "model": "model.skops", "report": "report.json"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("mlgate-baseline/baseline.json", json.dumps(manifest))
        zf.writestr("mlgate-baseline/report.json", json.dumps(report))
        zf.writestr("mlgate-baseline/model.skops", BODY)
    server.expect_request("/baseline.zip").respond_with_data(buffer.getvalue())
    resolved = resolve(server.url_for("/baseline.zip"), make_ctx())
    assert resolved.kind == "model" and resolved.report == report
    assert resolved.path is not None and resolved.path.read_bytes() == BODY


def test_a_zip_escaping_its_folder_is_refused(server: HTTPServer, make_ctx: Ctx) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../evil.txt", "x")
    server.expect_request("/baseline.zip").respond_with_data(buffer.getvalue())
    with pytest.raises(BaselineError) as info:
        fetch_spec(server.url_for("/baseline.zip"), make_ctx())
    assert info.value.lines() == [
        f"{WHERE}: {server.url_for('/baseline.zip')} holds a path outside the archive "
        "(../evil.txt); refused"
    ]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"MLGATE_HTTP_TIMEOUT": "soon"},
            "MLGATE_HTTP_TIMEOUT: expected a positive number of seconds, got 'soon'",
        ),
        (
            {"MLGATE_HTTP_TIMEOUT": "0"},
            "MLGATE_HTTP_TIMEOUT: expected a positive number of seconds, got '0'",
        ),
        ({"MLGATE_HTTP_RETRIES": "1.5"}, "MLGATE_HTTP_RETRIES: expected a whole number, got '1.5'"),
        (
            {"MLGATE_HTTP_BACKOFF": "-1"},
            "MLGATE_HTTP_BACKOFF: expected a number of seconds ≥ 0, got '-1'",
        ),
    ],
)
def test_bad_http_settings(
    env: dict[str, str], line: str, server: HTTPServer, make_ctx: Ctx
) -> None:
    with pytest.raises(ConfigError) as info:
        fetch_spec(server.url_for("/m.skops"), make_ctx(**env))
    assert info.value.lines() == [line]


@pytest.mark.parametrize(
    ("suffix", "sha", "line"),
    [
        ("", "abc", f"{WHERE}.sha256: expected a SHA-256 (64 hex digits), got 'abc'"),
        (
            "#md5=1",
            None,
            f"{WHERE}: unexpected URL fragment #md5=1 in {{url}} (only #sha256=HEX is understood)",
        ),
        (
            f"#sha256={'1' * 64}",
            "2" * 64,
            f"{WHERE}: the URL's #sha256= and models.baseline.sha256 disagree (keep one of them)",
        ),
    ],
)
def test_bad_pins_are_config_errors(
    suffix: str, sha: str | None, line: str, server: HTTPServer, make_ctx: Ctx
) -> None:
    url = server.url_for("/m.skops")
    with pytest.raises(ConfigError) as info:
        fetch_spec(url + suffix, make_ctx(sha256=sha))
    assert info.value.lines() == [line.format(url=url)]
    assert not server.log


def _cut_short(_request: Request) -> Response:
    """Promise the whole body, send a tenth of it, close: a connection broken mid-download."""
    response = Response(BODY[: len(BODY) // 10])
    response.headers["Content-Length"] = str(len(BODY))
    return response


def test_a_download_broken_midway_is_retried(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_oneshot_request("/m.skops").respond_with_handler(_cut_short)
    server.expect_request("/m.skops").respond_with_data(BODY)
    path = fetch_spec(server.url_for("/m.skops"), make_ctx(sha256=DIGEST))
    assert path.read_bytes() == BODY
    assert len(server.log) == 2
    assert [p.name for p in path.parent.iterdir() if p.name != path.name] == [
        f".{path.name}.meta.json"
    ]  # no half file left behind


def test_a_download_that_keeps_breaking_gives_up(server: HTTPServer, make_ctx: Ctx) -> None:
    server.expect_request("/m.skops").respond_with_handler(_cut_short)
    with pytest.raises(BaselineError) as info:
        fetch_spec(server.url_for("/m.skops"), make_ctx(MLGATE_HTTP_RETRIES="1"))
    assert info.value.lines() == [
        f"{WHERE}: cannot download {server.url_for('/m.skops')}: the connection broke during "
        "the download (2 attempts) (check the URL and the network; MLGATE_HTTP_TIMEOUT and "
        "MLGATE_HTTP_RETRIES set the timeout and the retries)"
    ]
    assert len(server.log) == 2
