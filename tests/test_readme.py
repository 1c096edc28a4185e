"""The README's curl walkthrough, run as written against a live server on a fresh database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->", readme, re.S
    )
    assert match, "the README lost its walkthrough markers"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    env = {
        **os.environ,
        "MOTCUA_INSTANCE_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'motcua.sqlite3'}",
    }
    motcua = [sys.executable, "-c", "from api.cli import main; main()"]
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([*motcua, *args], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [*motcua, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/openapi.json", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the server did not start")
            time.sleep(0.2)
    yield base, env
    process.terminate()
    process.wait(timeout=10)


def test_readme_walkthrough_takes_a_dossier_to_status_10(server):
    base, env = server
    # The README calls .venv/bin/motcua; point it at this interpreter's console wherever it runs.
    script = walkthrough().replace(
        ".venv/bin/motcua", f'"{sys.executable}" -c "from api.cli import main; main()"'
    )
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**env, "BASE": base},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Đăng ký khai sinh"
    assert re.match(r"dossier H29\.01-\d{6}-0001, first task [0-9a-f-]{36}", lines[1])
    assert lines[2] == "['Tiếp nhận, kiểm tra hồ sơ']"
    assert lines[-1].startswith("{'code': 10, 'label': 'Đã trả kết quả'}")
    assert "('completed', 'tra_ket_qua', 'h29.01.van_thu')" in lines[-1]
