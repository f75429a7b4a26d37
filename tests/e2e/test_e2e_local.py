"""The in-process mode survives kill -9: an application running goblins.LocalServer on a SQLite
file is killed in the middle of a 30-step workflow and started again; the run finishes with
the right result, and no step whose success was recorded runs again."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_support import (
    HERE,
    SUCCESS,
    Cluster,
    check_clean,
    check_reruns,
    expected_totals,
    read_lines,
    step_of,
    wait_until,
)

pytestmark = pytest.mark.e2e

STEPS = 30
KILL_AFTER = 10  # lines in the activity log before the kill


def result_of(text: str) -> object:
    for line in text.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise AssertionError(f"no RESULT line in the application's output:\n{text}")


def test_application_killed_mid_run_resumes_on_restart(
    cluster: Cluster, tmp_path: Path, measure: Callable[[str], None]
) -> None:
    log = tmp_path / "steps.log"
    run_id = "local-kill"
    app = [sys.executable, str(HERE / "local_steps_app.py"), str(cluster.db), str(log), run_id, str(STEPS)]
    first = cluster.spawn("app-1", app)
    t0 = time.monotonic()
    wait_until(lambda: len(read_lines(log)) >= KILL_AFTER, cluster.patience, "some steps to run")
    first.kill9()
    t_kill = time.monotonic()
    stored = cluster.stored_events(run_id)  # the durable history at the instant of the crash
    finished = {step_of(aid) for _, kind, aid in stored if kind == SUCCESS}
    assert 0 < len(finished) < STEPS, f"the kill did not land mid-run: {len(finished)} steps finished"
    assert "RESULT" not in first.text()
    lines_at_kill = read_lines(log)

    time.sleep(0.3)  # nothing runs while the application is dead
    assert read_lines(log) == lines_at_kill

    second = cluster.spawn("app-2", app)
    t_restart = time.monotonic()
    second.popen.wait(timeout=cluster.recovery + 30)
    t_done = time.monotonic()
    assert second.popen.returncode == 0, second.tail()
    assert result_of(second.text()) == expected_totals(STEPS)

    events = cluster.stored_events(run_id)
    check_clean(events)
    assert events[: len(stored)] == stored, "the durable prefix survived as it was"
    assert [kind for _, kind, _ in events].count(SUCCESS) == STEPS
    lines = read_lines(log)
    repeated = check_reruns(lines, run_id, STEPS, finished)
    by_first = {int(f[1]) for f in lines if int(f[2]) == first.pid}
    by_second = {int(f[1]) for f in lines if int(f[2]) == second.pid}
    assert {int(f[2]) for f in lines} == {first.pid, second.pid}
    assert by_second == set(range(STEPS)) - finished, "the restarted application ran exactly the unfinished steps"
    assert set(repeated) <= by_first & by_second
    measure(
        f"in-process kill -9: killed after {t_kill - t0:.2f}s with {len(finished)} steps finished; "
        f"re-ran: {sorted(repeated) or 'none'}; restarted application finished the other "
        f"{STEPS - len(finished)} steps and exited {t_done - t_restart:.2f}s after its start"
    )


def test_local_app_example_runs_as_its_docs_say(cluster: Cluster, tmp_path: Path) -> None:
    db = str(tmp_path / "app.db")
    first = cluster.python("-m", "examples.local_app", "ada", db)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[:2] == ["step: create the account of ada", "step: welcome ada (acct-ada)"]
    assert re.fullmatch(rf"ada onboarded on pro \(acct-ada\); \d+ events in {re.escape(db)}", lines[2])
    again = cluster.python("-m", "examples.local_app", "ada", db)  # the run is in the file: no step runs again
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == lines[2:]
