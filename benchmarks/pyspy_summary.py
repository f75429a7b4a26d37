"""Top functions of a py-spy raw (collapsed stacks) profile.

``python -m benchmarks.pyspy_summary FILE.txt [--top 20]`` prints, as % of samples, the
functions where time is spent (self) and the functions under which it is spent (inclusive).
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

_LINE = re.compile(r"^(.*) (\d+)$")
_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")


def _frame_name(frame: str) -> str:
    """``fn (path/to/file.py:123)`` -> ``fn (file.py)``: lines of one function merge."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    parts = path.replace("\\", "/").split("/")
    short = "/".join(parts[-2:]) if len(parts) > 1 else path
    return f"{m.group('fn')} ({short})"


# Component of a frame, by its file: the innermost frame of a known component owns a sample
# (libc and libpython frames belong to whoever called them, except the garbage collector).
_AREAS = [
    ("gc_collect", "python gc"),
    ("cygrpc", "grpc (cython core + aio)"),
    ("grpc/", "grpc (cython core + aio)"),
    ("_message.abi3", "protobuf (upb)"),
    ("google/protobuf/", "protobuf (upb)"),
    ("_sqlite3", "sqlite (C)"),
    ("libsqlite", "sqlite (C)"),
    ("server/sqlite.py", "goblins sqlite store (incl. sqlite C when not --native)"),
    ("goblins/", "goblins code"),
    ("orjson", "orjson"),
    ("pydantic", "pydantic"),
    ("asyncio/", "asyncio machinery"),
    ("_asynciomodule", "asyncio machinery"),
    ("selectors.py", "asyncio machinery"),
    ("concurrent/futures/", "thread-pool hand-off"),
    ("threading.py", "thread-pool hand-off"),
    ("uuid.py", "uuid"),
]


def _area(raw: list[str]) -> str:
    for frame in reversed(raw):
        for needle, area in _AREAS:
            if needle in frame:
                return area
    return "other"


def _thread_kind(frames: list[str]) -> str:
    """Which kind of thread a stack belongs to (profiles recorded without --threads)."""
    names = " ".join(frames[:12])
    if "run_forever" in names or "run_until_complete" in names:
        return "asyncio event loop thread"
    if "_worker (futures/thread.py)" in names:
        return "executor threads (" + (frames[5].split(" ")[0] if len(frames) > 5 else "?") + ")"
    return "other threads (" + frames[-1] + ")"


def summarize(path: Path, top: int = 20) -> dict[str, object]:
    self_counts: collections.Counter[str] = collections.Counter()
    incl_counts: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    areas: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        stack, count = m.group(1), int(m.group(2))
        raw = [f for f in stack.split(";") if f]
        thread = next((f.split(": ", 1)[-1] for f in raw if f.startswith("thread (")), "")
        frames = [_frame_name(f) for f in raw if not f.startswith(("thread (", "process "))]
        if not frames:
            continue
        total += count
        threads[thread or _thread_kind(frames)] += count
        areas[_area(raw)] += count
        self_counts[frames[-1]] += count
        for name in set(frames):
            incl_counts[name] += count

    def pct(counter: collections.Counter[str]) -> list[tuple[str, float]]:
        return [(name, 100.0 * c / total) for name, c in counter.most_common(top)] if total else []

    return {
        "samples": total,
        "threads": pct(threads),
        "areas": pct(areas),
        "self": pct(self_counts),
        "inclusive": pct(incl_counts),
    }


def format_summary(title: str, summary: dict[str, object]) -> str:
    lines = [f"== {title}: {summary['samples']} samples"]
    for kind in ("threads", "areas", "self", "inclusive"):
        lines.append(f"  -- {kind} %")
        for name, p in summary[kind]:  # type: ignore[attr-defined]
            lines.append(f"  {p:6.1f}  {name}")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", type=int, default=20)
    args = p.parse_args()
    for f in args.files:
        print(format_summary(str(f), summarize(f, args.top)))


if __name__ == "__main__":
    main()
