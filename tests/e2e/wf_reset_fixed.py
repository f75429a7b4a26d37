"""`wf_reset` with its bug fixed: `goblins worker wf_reset_fixed` is the new deployment."""

from __future__ import annotations

import wf_reset
from wf_reset import shipping, step

wf_reset.FIXED = True

__all__ = ["shipping", "step"]
