"""`wf_failures` with its bug fixed: `goblins worker wf_failures_fixed` is the new deployment."""

from __future__ import annotations

import wf_failures
from wf_failures import bug, reserve

wf_failures.FIXED = True

__all__ = ["bug", "reserve"]
