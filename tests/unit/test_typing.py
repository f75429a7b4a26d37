"""The typed API, as a type checker sees it: mypy --strict on tests/typecheck/cases.py must report
exactly the errors (line and message) and revealed types that the file's comments expect, and
nothing on examples/typed_order.py (the example of docs/typing.md)."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "typecheck" / "cases.py"
EXAMPLE = ROOT / "examples" / "typed_order.py"
# mypy's report line: "PATH:LINE: error: MESSAGE  [code]" (codes hidden) or "...: note: ..."
REPORT = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<message>.*)$")
REVEALED = 'Revealed type is "'


def expected(source: str) -> list[tuple[int, str]]:
    """(line, message) for each "# E:" comment (of the next code line) and "# R:" comment."""
    found: list[tuple[int, str]] = []
    waiting: list[str] = []  # own-line E: comments, for the next code line
    for number, text in enumerate(source.splitlines(), 1):
        stripped = text.strip()
        if stripped.startswith("# E: "):
            waiting.append(stripped.removeprefix("# E: "))
            continue
        if stripped and not stripped.startswith("#"):
            found.extend((number, f"error: {message}") for message in waiting)
            waiting = []
        code, _, comment = text.partition("  # R: ")
        if code.strip() and comment:
            found.append((number, f'note: {REVEALED}{comment}"'))
    assert not waiting, f"E: comments at the end of {CASES.name} have no code line after them"
    return sorted(found)


def reported(output: str, path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, message) of mypy's errors and revealed types in the file at ``path``."""
    found = []
    for text in output.splitlines():
        match = REPORT.match(text)
        if match is None or (ROOT / match["path"]).resolve() != path:
            continue
        message = match["message"]
        if match["kind"] == "note" and not message.startswith(REVEALED):
            continue  # overload lists and the like: context, not verdicts
        found.append((int(match["line"]), f"{match['kind']}: {message}"))
    return sorted(found)


def test_mypy_reports_exactly_the_expected_errors_and_types() -> None:
    # A cache of its own outside the tree: the first run checks goblins whole (~15 s), later
    # runs only what changed (~1 s).
    key = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
    cache = pathlib.Path(tempfile.gettempdir()) / f"goblins-typing-mypy-{key}"
    command = [sys.executable, "-m", "mypy", "--strict", "--hide-error-codes", "--no-color-output"]
    command += [
        "--no-error-summary",
        "--cache-dir",
        str(cache),
        str(CASES.relative_to(ROOT)),
        str(EXAMPLE.relative_to(ROOT)),
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "MYPY_FORCE_COLOR")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode in (0, 1), done.stderr + done.stdout  # 2: mypy itself failed
    assert reported(done.stdout, EXAMPLE) == []
    want, got = expected(CASES.read_text()), reported(done.stdout, CASES)
    missing = [f"{line}: {m}" for line, m in want if (line, m) not in got]
    unexpected = [f"{line}: {m}" for line, m in got if (line, m) not in want]
    # A new mypy may word a message differently: pyproject.toml pins the one the file was written for.
    assert not missing and not unexpected, (
        "\nmissing:\n" + "\n".join(missing) + "\nunexpected:\n" + "\n".join(unexpected)
    )
