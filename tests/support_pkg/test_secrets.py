"""mlgate.support.secrets: one mask for tokens and URL credentials."""

from __future__ import annotations

from mlgate.support.secrets import MASK, mask, redact_url, values_of


def test_mask_replaces_every_known_secret_longest_first() -> None:
    text = "Bearer glpat-abcdef and glpat-abcdef-long; ok=1"
    assert mask(text, ["glpat-abcdef", "glpat-abcdef-long", None, "1"]) == (
        "Bearer [masked] and [masked]; ok=1"  # "1" is too short to be a secret
    )
    assert MASK == "[masked]"


def test_values_of_reads_only_set_variables() -> None:
    env = {"GITLAB_TOKEN": "tok-1234", "CI_JOB_TOKEN": ""}
    assert values_of(env, ("MLGATE_GITLAB_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")) == ["tok-1234"]


def test_redact_url_drops_userinfo_query_and_fragment() -> None:
    url = "https://user:hunter2@bucket.example.com:8443/m.skops?X-Amz-Signature=s3cr3t#frag"
    assert redact_url(url) == "https://bucket.example.com:8443/m.skops?[masked]"
    assert redact_url("https://example.com/m.skops") == "https://example.com/m.skops"
    assert redact_url("http://[::1]:8080/a?x=1") == "http://[::1]:8080/a?[masked]"
    assert redact_url("http://host:notaport/a") == "http://host/a"
