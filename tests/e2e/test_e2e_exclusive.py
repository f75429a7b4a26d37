"""A port and a SQLite file belong to one `goblins server` at a time (issue 10, item 8): a
second server on either refuses to start with one clear line, not a traceback, and exits non-zero."""

from __future__ import annotations

from pathlib import Path

from e2e_support import Cluster, free_port, goblins_command, wait_until


def refusal(cluster: Cluster, name: str, args: list[str]) -> list[str]:
    """The non-empty stderr/stdout lines of a second server that must refuse to start."""
    proc = cluster.spawn(name, [*goblins_command(), "server", *args])
    wait_until(lambda: not proc.alive, 20, f"{name} to exit")
    assert proc.popen.returncode not in (0, None), proc.tail()
    text = proc.text()
    assert "Traceback" not in text, text
    return [line for line in text.splitlines() if line.strip()]


def test_a_second_server_on_the_same_port_refuses_with_one_line(cluster: Cluster, tmp_path: Path) -> None:
    cluster.start_server()
    lines = refusal(cluster, "second-port", ["--db", str(tmp_path / "other.db"), "--port", str(cluster.port)])
    assert len(lines) == 1, lines
    assert str(cluster.port) in lines[0] and "in use" in lines[0], lines


def test_a_second_server_on_the_same_db_refuses_with_one_line(cluster: Cluster) -> None:
    cluster.start_server()
    lines = refusal(cluster, "second-db", ["--db", str(cluster.db), "--port", str(free_port())])
    assert len(lines) == 1, lines
    assert str(cluster.db) in lines[0] and "in use by another goblins server" in lines[0], lines
    cluster.kill_server()  # the lock dies with its holder, even on kill -9
    cluster.start_server()
