"""mlgate.support.http: one retry policy, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from urllib3 import HTTPResponse

from mlgate.support import http


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    with HTTPServer(host="127.0.0.1", port=0) as running:
        yield running


def _answer(**headers: str) -> HTTPResponse:
    return HTTPResponse(body=b"", headers=headers, status=429, preload_content=False)


def test_retry_after_is_honoured_but_capped() -> None:
    policy = http.retry(3, 0.0)
    assert policy.get_retry_after(_answer(**{"Retry-After": "2"})) == 2.0
    assert policy.get_retry_after(_answer(**{"Retry-After": "0.5"})) == 0.5
    assert policy.get_retry_after(_answer(**{"Retry-After": "3600"})) == http.MAX_RETRY_AFTER_S
    assert policy.get_retry_after(_answer(**{"Retry-After": "soon"})) is None  # backoff instead
    assert policy.get_retry_after(_answer(**{"Retry-After": "nan"})) is None
    assert policy.get_retry_after(_answer()) is None


def test_the_first_retry_waits_the_backoff_then_doubles_up_to_the_cap() -> None:
    assert [http.backoff_wait(1.0, n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    policy = http.retry(5, 1.0)
    assert policy.get_backoff_time() == 0.0  # nothing failed yet
    once = policy.increment(method="GET", url="/", response=_answer())
    assert once.get_backoff_time() == 1.0
    twice = once.increment(method="GET", url="/", response=_answer())
    assert twice.get_backoff_time() == 2.0


def test_5xx_and_429_are_retried_then_the_answer_is_returned(server: HTTPServer) -> None:
    server.expect_oneshot_request("/x").respond_with_data("busy", status=503)
    server.expect_oneshot_request("/x").respond_with_data("slow", status=429)
    server.expect_request("/x").respond_with_data("ok")
    with http.session(http.retry(3, 0.0), user_agent="mlgate/test") as session:
        response = session.get(server.url_for("/x"), timeout=http.timeouts(5))
    assert response.text == "ok"
    assert len(server.log) == 3
    assert server.log[0][0].headers["User-Agent"] == "mlgate/test"


def test_the_retries_run_out_and_the_last_status_is_reported(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("busy", status=502)
    with http.session(http.retry(2, 0.0)) as session:
        response = session.get(server.url_for("/x"), timeout=http.timeouts(5))
    assert response.status_code == 502  # raise_on_status=False: the caller says what failed
    assert len(server.log) == 3


def test_a_4xx_is_an_answer_not_a_hiccup(server: HTTPServer) -> None:
    server.expect_request("/x").respond_with_data("no", status=404)
    with http.session(http.retry(3, 0.0)) as session:
        assert session.get(server.url_for("/x"), timeout=http.timeouts(5)).status_code == 404
    assert len(server.log) == 1


def test_the_api_policy_retries_every_5xx_and_keeps_pygithub_rate_limits() -> None:
    from github.GithubRetry import GithubRetry

    from mlgate.platforms.github import Settings, retry_policy

    policy = retry_policy(Settings(api_url="http://127.0.0.1", token=None, repository=None))
    assert isinstance(policy, GithubRetry)
    assert policy.total == http.GITHUB_RETRIES
    assert {429, 500, 501, 599, 403} <= set(policy.status_forcelist or ())
    assert policy.get_retry_after(_answer(**{"Retry-After": "9999"})) == http.MAX_RETRY_AFTER_S
    assert policy.new(total=1).get_retry_after(_answer(**{"Retry-After": "9999"})) == 60.0


def test_timeouts_cap_the_connect_wait() -> None:
    assert http.timeouts(60) == (10.0, 60)
    assert http.timeouts(0.2) == (0.2, 0.2)
