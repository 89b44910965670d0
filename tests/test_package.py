"""The wheel, installed into a clean venv and run from a folder far from the source tree.

Reference data, templates, expectations and the sample are package data; nothing may be found
through the checkout, and nothing may be installed as a top-level `tasks` or `flows`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.package


def sh(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("paket")
    source = work / "sumber"  # a copy: building must not write into the checkout
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "demo", "out"),
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    sh(*pip, "wheel", "--no-deps", "-w", str(work / "dist"), str(source), cwd=work)
    wheel = next((work / "dist").glob("triwulan-*.whl"))
    venv.create(work / "venv", with_pip=True)
    python = work / "venv" / "bin" / "python"
    sh(
        str(python),
        "-m",
        "pip",
        "-q",
        "--disable-pip-version-check",
        "install",
        str(wheel),
        cwd=work,
    )
    shutil.rmtree(source)  # the installed tool must not lean on a source tree
    elsewhere = work / "kantor"
    elsewhere.mkdir()
    return python, elsewhere


def env_for(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIWULAN_", "PREFECT_"))}
    env.update(
        HOME=str(folder),
        PREFECT_HOME=str(folder / ".prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
    )
    return env


def test_installed_package_has_no_top_level_tasks_or_flows(installed) -> None:
    python, folder = installed
    code = (
        "import importlib.util as u\n"
        "print(u.find_spec('tasks'), u.find_spec('flows'), u.find_spec('triwulan.tasks.collect.ingest') is not None)"
    )
    assert sh(str(python), "-c", code, cwd=folder, env=env_for(folder)).split() == [
        "None",
        "None",
        "True",
    ]


def test_units_template_and_a_quarter_run_from_any_folder(installed) -> None:
    python, folder = installed
    cli = [str(python.parent / "triwulan")]
    env = env_for(folder)
    assert "Kelurahan Perwira" in sh(*cli, "units", cwd=folder, env=env)
    sh(*cli, "template", "2024-TW2", "--unit", "perwira", "-o", "isian.xlsx", cwd=folder, env=env)
    assert (folder / "isian.xlsx").stat().st_size > 0
    sample = sh(
        str(python),
        "-c",
        "from triwulan.paths import SAMPLE_DIR; print(SAMPLE_DIR)",
        cwd=folder,
        env=env,
    ).strip()
    assert "site-packages" in sample
    shutil.copytree(Path(sample) / "inbox" / "2024" / "TW1", folder / "inbox" / "2024" / "TW1")
    out = sh(*cli, "run", "2024-TW1", "--inbox", "inbox", "--out", "hasil", cwd=folder, env=env)
    assert "2024-TW1 versi 1" in out
    assert (folder / "hasil" / "2024" / "TW1" / "v1" / "laporan.html").exists()
