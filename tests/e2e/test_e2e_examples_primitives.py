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


def test_cart_download_and_family_examples(cluster: Cluster) -> None:
    cluster.start_server()
    for module in ("examples.cart", "examples.download", "examples.family"):
        cluster.start_worker(module, cwd=REPO)
    cart = cluster.python("-m", "examples.cart")
    assert cart.returncode == 0, cart.stderr
    assert cart.stdout.splitlines() == ["in the cart: ['apple', 'pear']", "ada: charged for 2 items"]
    download = cluster.python("-m", "examples.download", timeout=60)
    assert download.returncode == 0, download.stderr
    assert download.stdout.strip().endswith("20 chunks, attempt 2 resumed at chunk 11")
    family = cluster.python("-m", "examples.family")
    assert family.returncode == 0, family.stderr
    assert family.stdout.strip() == "['north=6', 'south=6']"
