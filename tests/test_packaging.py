"""A plain (non-editable) `pip install` ships everything the console needs: every sub-package,
the Alembic migrations, and the diagrams and forms (inside `processes`, not as top-level
`bpmn` / `forms` packages). Slow-ish: it builds the project into a fresh virtualenv."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Copied so the build writes build/ and *.egg-info into the copy, never into the checkout.
NOT_SOURCES = shutil.ignore_patterns(
    ".venv",
    ".git",
    "instance",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    "node_modules",
    ".pytest_cache",
    ".ruff_cache",
)
TOP_LEVEL = ("api", "engine", "processes", "config")
MIGRATIONS = Path("api", "store", "migrations")


def run(args: list, cwd: Path, env: dict | None = None, timeout: int = 120) -> str:
    """Returns the command's output; fails the test with its output when it exits non-zero."""
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, args))} exited {done.returncode}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
    return done.stdout


def test_a_plain_pip_install_gives_a_working_console(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    bin_dir = venv / "bin"
    run([bin_dir / "pip", "install", "--quiet", source], cwd=tmp_path, timeout=600)

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL"}
        and not k.startswith("MOTCUA_")
    }
    env |= {
        "MOTCUA_INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
    }
    # Run outside the checkout (and its copy), so nothing can be imported from either.
    motcua = bin_dir / "motcua"
    run([motcua, "db", "upgrade"], cwd=tmp_path, env=env)
    with closing(sqlite3.connect(tmp_path / "new.sqlite3")) as database:
        (revision,) = database.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision in {path.stem for path in (source / MIGRATIONS / "versions").glob("*.py")}
    assert "1.001193 v1" in run([motcua, "procedures", "deploy"], cwd=tmp_path, env=env)
    assert "h29.01.tiep_nhan" in run([motcua, "demo", "seed"], cwd=tmp_path, env=env)
    listing = run([motcua, "officers", "list"], cwd=tmp_path, env=env)
    assert "h29.01.tiep_nhan" in listing and "active" in listing

    # What ran came from the venv, the diagrams and forms from inside the installed package.
    where = run(
        [
            bin_dir / "python",
            "-c",
            "import sysconfig, api, processes.catalogue as c; "
            "print(sysconfig.get_paths()['purelib']); print(api.__file__); print(c.BPMN_DIR)",
        ],
        cwd=tmp_path,
        env=env,
    ).splitlines()
    site, api_file, bpmn_dir = (Path(line).resolve() for line in where)
    assert api_file.is_relative_to(venv.resolve())
    assert bpmn_dir == site / "processes" / "_data" / "bpmn"
    # No generic top-level names in site-packages; every source package installed, so a new
    # sub-package that discovery misses fails here.
    assert not (site / "bpmn").exists() and not (site / "forms").exists()
    packages = {
        path.parent.relative_to(source)
        for top in TOP_LEVEL
        for path in (source / top).rglob("__init__.py")
    }
    assert sorted(str(p) for p in packages if not (site / p / "__init__.py").is_file()) == []
    # Every migration file, diagram and form shipped, not just the ones the commands above read.
    expected = {
        path.relative_to(source): site / path.relative_to(source)
        for path in (source / MIGRATIONS).rglob("*")
        if path.is_file()
    } | {
        path.relative_to(source): site / "processes" / "_data" / path.relative_to(source)
        for folder, pattern in (("bpmn", "*.bpmn"), ("forms", "*.json"))
        for path in (source / folder).rglob(pattern)
    }
    assert sorted(str(src) for src, dest in expected.items() if not dest.is_file()) == []
    # The slips' font and its license ship too, and the demo seed made the agencies' keys.
    fonts = site / "api" / "documents" / "fonts"
    assert all((fonts / name).is_file() for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    assert (fonts / "LICENSE").is_file()
    assert (tmp_path / "instance" / "signing" / "H29.01.p12").is_file()
