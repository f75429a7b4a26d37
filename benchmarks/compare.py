"""Each figure of a benchmark run beside a saved run's, with the ratio.

    python -m benchmarks --compare BASE.json ...      (after the run)
    python -m benchmarks.compare NEW.json BASE.json   (two saved runs)

The ratio is new / base for every figure (a throughput ratio above 1 is a gain, a latency or
CPU ratio above 1 a loss). Only figures both runs measured are shown; the header names each
run's commit, durability and load average, since ratios from unlike runs mislead.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any


def _median(fig: Any) -> float | None:
    if isinstance(fig, dict) and isinstance(fig.get("median"), (int, float)):
        return float(fig["median"])
    return None


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def _about(result: dict[str, Any]) -> str:
    m = result.get("machine", {})
    load = m.get("load_average_at_start")
    end = result.get("load_average_at_end")
    commit = str(m.get("goblins_commit", "?"))[:10] + ("+dirty" if m.get("goblins_tree_dirty") else "")
    sync = result.get("durability", {}).get("synchronous", "?")
    return f"commit {commit}, synchronous={sync}, load {load} -> {end}, runs {result.get('settings', {}).get('runs')}"


def compare(result: dict[str, Any], base: dict[str, Any]) -> str:
    """A table of every figure the two runs share: new, base, new/base."""
    lines = [f"new:  {_about(result)}", f"base: {_about(base)}", ""]
    rows = [("scenario", "figure", "new", "base", "new/base")]
    for key, entry in result.get("scenarios", {}).items():
        other = base.get("scenarios", {}).get(key)
        if entry.get("status") != "ok" or other is None or other.get("status") != "ok":
            continue
        for figure, value in entry["figures"].items():
            now, was = _median(value), _median(other["figures"].get(figure))
            if now is None or was is None:
                continue
            ratio = now / was if was else math.nan
            rows.append((key, figure, _fmt(now), _fmt(was), f"{ratio:.2f}x" if not math.isnan(ratio) else "-"))
    if len(rows) == 1:
        return "\n".join([*lines, "no figure in common"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def load(path: Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or "scenarios" not in data:
        raise SystemExit(f"{path}: not a result of python -m benchmarks")
    return data


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(compare(load(Path(args[0])), load(Path(args[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
