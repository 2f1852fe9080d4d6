"""A real MLflow tracking + registry server for the session (SQLite, artifacts in tmp, 127.0.0.1).

Registered as a plugin by tests/conftest.py so that every test module shares one server: it
takes several seconds to start (minutes on a loaded 2-core machine), so it starts only when a
test asks for the `mlflow_server` fixture.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

STARTUP_S = 600  # a readiness wait, not a timed assertion


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tracking URI of a running `mlflow server`; skipped when mlflow is not installed."""
    pytest.importorskip("mlflow")
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    mlflow_cli = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    log = (root / "server.log").open("wb")
    server = subprocess.Popen(
        [
            mlflow_cli,
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_S
        while not _healthy(url):
            if server.poll() is not None:
                pytest.fail(f"mlflow server exited: {(root / 'server.log').read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow server not healthy after {STARTUP_S} s")
            time.sleep(1)
        yield url
    finally:
        os.killpg(server.pid, 15)  # the server's own process group: its uvicorn and job runner
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        log.close()


@pytest.fixture
def mlflow_client(mlflow_server: str) -> object:
    """A client of the session's server (the real MLflow client: what users register with)."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server, registry_uri=mlflow_server)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def log_folder(client: Any, files: dict[str, Path], artifact_path: str = "model") -> Any:
    """A run whose artifacts hold `files` under artifact_path (no MLmodel: a plain folder)."""
    experiment = client.create_experiment(unique("exp"))
    run = client.create_run(experiment)
    for name, source in files.items():
        staged = source.parent / ".staged" / name
        staged.parent.mkdir(exist_ok=True)
        shutil.copy(source, staged)
        client.log_artifact(run.info.run_id, str(staged), artifact_path=artifact_path)
        staged.unlink()
    client.set_terminated(run.info.run_id)
    return run


def register_folder(
    client: Any, name: str, files: dict[str, Path], alias: str | None = None
) -> tuple[str, str]:
    """Register a plain artifact folder as a new version of `name`; returns (version, run id)."""
    run = log_folder(client, files)
    try:
        client.get_registered_model(name)
    except Exception:
        client.create_registered_model(name)
    version = client.create_model_version(
        name, source=f"{run.info.artifact_uri}/model", run_id=run.info.run_id
    )
    if alias:
        client.set_registered_model_alias(name, alias, version.version)
    return str(version.version), run.info.run_id
