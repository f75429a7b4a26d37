"""Another project's mypy finds goblins, and its types, in an editable install.

``pip install -e .`` (as scripts/test and ``make install`` do) asks setuptools for an editable
wheel (PEP 660). By default setuptools puts an import hook in it, which mypy does not run: a
project that imported goblins got "Cannot find implementation or library stub". pyproject.toml
now makes it write a plain path into the ``.pth`` file instead. This test builds the editable
wheel the way pip does (the same backend hook, on a copy of the project), installs it into a
fresh virtual environment, and runs mypy --strict on a file of another project against it.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]

APP = """\
from typing import reveal_type

import goblins


@goblins.workflow
async def double(n: int) -> int:
    return 2 * n


async def main(client: goblins.Client) -> None:
    reveal_type(await client.execute_workflow(double, 21))
    await client.execute_workflow(double, "21")
"""


def run(command: list[str], cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    # Neither this tree (PYTHONPATH) nor any mypy path: only what the install provides.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_another_projects_mypy_finds_goblins_in_an_editable_install(tmp_path: pathlib.Path) -> None:
    project = tmp_path / "goblins-project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "goblins", project / "goblins", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    build = "import sys, setuptools.build_meta as b; print(b.build_editable(sys.argv[1]))"
    built = run([sys.executable, "-c", build, str(wheels)], project)
    assert built.returncode == 0, built.stderr
    wheel = wheels / built.stdout.strip().splitlines()[-1]

    # The cause, checked first: the .pth holds the project's directory, not an `import` line.
    with zipfile.ZipFile(wheel) as archive:
        (pth,) = [n for n in archive.namelist() if n.endswith(".pth")]
        lines = archive.read(pth).decode().split()
    assert [pathlib.Path(line).resolve() for line in lines] == [project.resolve()]

    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    installed = run([*pip, str(wheel)], tmp_path)
    assert installed.returncode == 0, installed.stderr

    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text(APP)
    mypy = [sys.executable, "-m", "mypy", "--strict", "--hide-error-codes", "--no-error-summary"]
    mypy += ["--python-executable", str(python), "--cache-dir", str(tmp_path / "cache"), "main.py"]
    checked = run(mypy, app)
    assert checked.stdout.splitlines() == [
        'main.py:12: note: Revealed type is "int"',
        'main.py:13: error: Argument 1 to "execute_workflow" of "Client" has incompatible type '
        '"Callable[[int], Coroutine[Any, Any, int]]"; expected "Callable[[str], Awaitable[int]]"',
    ], checked.stdout + checked.stderr
