"""`make run` (bin/run-local) stops cleanly: Ctrl-C, SIGTERM or SIGHUP to its process group
stops web, worker and beat within 10 seconds and leaves no process behind; a second instance of
the same checkout refuses to start while the first runs."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bin" / "run-local"
STOP_WITHIN = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session_members(sid: int) -> list[tuple[int, str]]:
    """Live (non-zombie) processes of a session, as (pid, command line)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            members.append((int(entry.name), cmdline.strip()))
    return members


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One var directory for the module: migrations and demo data are loaded once."""
    return tmp_path_factory.mktemp("run-local-var")


def _environment(var_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL"}
    }
    env.update(SERVICEDESK_VAR_DIR=str(var_dir), HOST="127.0.0.1", PORT=str(port))
    return env


@contextlib.contextmanager
def _as_from_a_terminal() -> Iterator[None]:
    """Start children with SIGINT and SIGHUP at their defaults, as a terminal's shell does. A
    test run started in the background (``make test &``, ``nohup``) ignores them, an ignored
    signal stays ignored across exec, and bash cannot trap a signal it started ignoring: the
    script's Ctrl-C and hang-up traps would then never run (this test failed that way)."""
    ignored = [
        sig for sig in (signal.SIGINT, signal.SIGHUP) if signal.getsignal(sig) == signal.SIG_IGN
    ]
    for sig in ignored:
        signal.signal(sig, signal.SIG_DFL)
    try:
        yield
    finally:
        for sig in ignored:
            signal.signal(sig, signal.SIG_IGN)


@pytest.fixture
def running(var_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    require((ROOT / ".venv" / "bin" / "python").exists(), "the project's .venv (make install)")
    port = _free_port()
    log = var_dir / f"run-local-{port}.log"
    with log.open("wb") as out, _as_from_a_terminal():
        proc = subprocess.Popen(
            ["bash", str(SCRIPT)],
            cwd=ROOT,
            env=_environment(var_dir, port),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(proc, port, log)
        yield proc, port, log
    finally:
        if proc.poll() is None:  # a failed assertion must not leave the app running
            for pid, _ in _session_members(proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_until_serving(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"run-local exited early ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                healthy = r.status == 200
        except OSError:
            healthy = False
        # Web answers, and the worker has started its pool (main process + 2 children + beat).
        workers = [c for _, c in _session_members(proc.pid) if "celery" in c and "worker" in c]
        if healthy and len(workers) >= 4:
            return
        time.sleep(0.5)
    pytest.fail(f"run-local did not come up in time:\n{log.read_text()}")


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "sigterm", "sighup"]
)
def test_a_signal_to_the_group_stops_everything_within_ten_seconds(
    running: tuple[subprocess.Popen[bytes], int, Path], sig: signal.Signals
) -> None:
    proc, port, log = running
    before = _session_members(proc.pid)
    assert any("runserver" in c for _, c in before)
    assert any("celery" in c for _, c in before)

    start = time.monotonic()
    os.killpg(proc.pid, sig)  # what a terminal (Ctrl-C, closing it) or a supervisor sends
    left = before
    while time.monotonic() - start < STOP_WITHIN:
        left = _session_members(proc.pid)
        if not left:
            break
        time.sleep(0.1)
    assert left == [], f"still running {time.monotonic() - start:.1f} s after {sig.name}: {left}"
    proc.wait(timeout=1)
    assert "Stopping web, worker and beat" in log.read_text()
    # The port is free again and a new `make run` may start (TIME_WAIT does not stop servers).
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_a_second_instance_of_the_checkout_refuses_to_start(
    running: tuple[subprocess.Popen[bytes], int, Path], var_dir: Path
) -> None:
    proc, _, _ = running
    second = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env=_environment(var_dir, _free_port()),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode == 1
    assert second.stderr == (
        f"servicedesk is already running from this checkout (pid {proc.pid}).\n"
        f"Stop it first: press Ctrl-C in its terminal, or run 'make stop' (kill {proc.pid}).\n"
    )
    assert proc.poll() is None  # the first one is untouched
