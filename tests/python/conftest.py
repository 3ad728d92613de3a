"""Starts cos-ci-mock with its defaults and hands out official-SDK clients pointed at it.

The mock binary comes from COS_CI_MOCK_BIN (`cargo xtask test` sets it). It is started once per
session with `--listen 127.0.0.1:0` and nothing else, so every test runs against the mock's
defaults: SecretId AKIDEXAMPLE, SecretKey example-secret, bucket examplebucket-1250000000,
region ap-guangzhou, signatures verified.

Every test runs twice, once per way the SDK can be pointed at a local server:
  ip_mode      CosConfig(IP=..., Port=...): the URL goes to the IP, the SDK keeps the
               virtual-hosted `Host: <bucket>.cos.<region>.myqcloud.com` and signs it.
  domain_mode  CosConfig(Domain='127.0.0.1:PORT'): no bucket anywhere in the request; the
               SDK sends Host with the port and signs it without.
"""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.ai_recognition import AIRecognitionClient

# The mock's defaults (DESIGN.md "Contracts"): the tests pass no flags that change them.
SECRET_ID = "AKIDEXAMPLE"
SECRET_KEY = "example-secret"
BUCKET = "examplebucket-1250000000"
REGION = "ap-guangzhou"

# Seconds to wait for the `listening on` line, for one SDK request, and for the mock to exit.
STARTUP_TIMEOUT = 60
REQUEST_TIMEOUT = 30
SHUTDOWN_TIMEOUT = 10

SDK_MODES = ["ip_mode", "domain_mode"]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LISTENING = re.compile(r"^listening on http://(?P<host>[^\s:]+):(?P<port>\d+)\s*$")


@dataclass
class Mock:
    """A running cos-ci-mock process."""

    host: str
    port: int
    log: Path

    @property
    def endpoint(self):
        return f"http://{self.host}:{self.port}"

    def log_tail(self, lines=20):
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(ANSI.sub("", line) for line in text.splitlines()[-lines:])


def _die_with_parent():
    """Runs in the child before exec: on Linux, the mock gets SIGTERM if pytest dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:  # not Linux, or no prctl: the fixture's teardown still stops it
        pass


def _stop(proc):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=SHUTDOWN_TIMEOUT)


def _mock_binary():
    path = os.environ.get("COS_CI_MOCK_BIN", "")
    if not path:
        pytest.exit(
            "COS_CI_MOCK_BIN is not set: run `cargo xtask test`, or build the mock with "
            "`cargo build -p cos-ci-mock --bin cos-ci-mock` and set COS_CI_MOCK_BIN to "
            "target/debug/cos-ci-mock",
            returncode=2,
        )
    if not os.access(path, os.X_OK):
        pytest.exit(f"COS_CI_MOCK_BIN={path!r} is not an executable file", returncode=2)
    return path


@pytest.fixture(scope="session")
def mock(tmp_path_factory):
    """Starts `cos-ci-mock --listen 127.0.0.1:0` and stops it at the end of the session."""
    binary = _mock_binary()
    log = tmp_path_factory.mktemp("cos-ci-mock") / "stderr.log"
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log_file,
            # One log line per request (id, action, status, error code) for failure reports.
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "info")},
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    lines = queue.Queue()

    def pump():
        # Keeps draining stdout so the mock can never block on a full pipe.
        for raw in proc.stdout:
            lines.put(raw.decode("utf-8", errors="replace"))
        lines.put(None)

    threading.Thread(target=pump, name="cos-ci-mock-stdout", daemon=True).start()
    try:
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"cos-ci-mock printed nothing within {STARTUP_TIMEOUT} s")
        if line is None:
            raise RuntimeError(f"cos-ci-mock exited with status {proc.wait(timeout=SHUTDOWN_TIMEOUT)}")
        match = LISTENING.match(line)
        if not match:
            raise RuntimeError(f"unexpected first line from cos-ci-mock: {line!r}")
        server = Mock(match["host"], int(match["port"]), log)
        health = requests.get(f"{server.endpoint}/_mock/health", timeout=REQUEST_TIMEOUT)
        assert health.status_code == 200, health.text
    except BaseException as e:
        _stop(proc)
        tail = Mock("", 0, log).log_tail()
        raise RuntimeError(f"cannot start {binary}: {e}\n--- mock stderr ---\n{tail}") from e
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session", params=SDK_MODES)
def sdk_mode(request):
    return request.param


def sdk_config(mock, mode, secret_id=SECRET_ID, secret_key=SECRET_KEY, **extra):
    """The CosConfig a user would write to point the SDK at the mock in `mode`."""
    common = dict(
        Region=REGION,
        SecretId=secret_id,
        SecretKey=secret_key,
        Scheme="http",
        Timeout=REQUEST_TIMEOUT,
        **extra,
    )
    if mode == "ip_mode":
        return CosConfig(IP=mock.host, Port=mock.port, **common)
    if mode == "domain_mode":
        return CosConfig(Domain=f"{mock.host}:{mock.port}", **common)
    raise ValueError(mode)


@pytest.fixture
def make_client(mock, sdk_mode):
    """Builds an AIRecognitionClient (a CosS3Client with the cos_ai_* helpers) for this mode.

    retry=0: a 5xx from the mock is a bug to see, not something to paper over with retries.
    """

    def make(cls=AIRecognitionClient, **config):
        return cls(sdk_config(mock, sdk_mode, **config), retry=0)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def cos(make_client):
    """A plain CosS3Client, as most users construct it."""
    return make_client(CosS3Client)


@pytest.fixture
def prefix(request, sdk_mode):
    """A key prefix unique to this test (and mode), so tests never see each other's objects."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    return f"py/{name}/"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach the end of the mock's log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and "mock" in getattr(item, "fixturenames", ()):
        server = item.funcargs.get("mock") if hasattr(item, "funcargs") else None
        if server is not None:
            report.sections.append(("cos-ci-mock stderr (tail)", server.log_tail()))
