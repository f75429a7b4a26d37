"""The primitive examples run as their docs say (separate server, worker and client processes)."""

from __future__ import annotations

import pytest
from e2e_support import REPO, Cluster

pytestmark = pytest.mark.e2e


def test_reminder_and_approval_examples(cluster: Cluster) -> None:
    cluster.start_server()
    cluster.start_worker("examples.reminder", cwd=REPO)
    cluster.start_worker("examples.approval", cwd=REPO)

    reminder = cluster.python("-m", "examples.reminder", "0.5")
    assert reminder.returncode == 0, reminder.stderr
    assert reminder.stdout.strip() == "reminded ada to water the plants"

    approval = cluster.python("-m", "examples.approval")
    assert approval.returncode == 0, approval.stderr
    assert approval.stdout.splitlines() == ["paid 42 for taxi, approved by grace", "refunded the hotel advance"]


def test_test_kit_example(cluster: Cluster) -> None:
    done = cluster.python("-m", "examples.test_kit")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("reminded ada to stretch (a day of waiting took")
