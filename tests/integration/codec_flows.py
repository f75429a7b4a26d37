"""A workflow that moves a secret through every kind of payload (issue 11's codec test): input,
activity input and output, heartbeat details, failure details, a signal, a query's answer, a
child's input and result, continue-as-new arguments, a workflow failure's details."""

from __future__ import annotations

from typing import Any

import goblins

SECRETS = (
    "card-4111-1111",  # the workflow's input, then an activity's input
    "receipt-7777",  # an activity's output
    "beat-6666",  # heartbeat details
    "details-9999",  # an activity failure's details
    "signal-5555",  # a signal's argument
    "child-3333",  # a child's input
    "again-8888",  # continue-as-new arguments
    "child-result-2222",  # a child's result
    "wf-details-1212",  # a workflow failure's details
)
ONCE = goblins.RetryPolicy(maximum_attempts=1)


@goblins.activity
async def charge(card: str) -> str:
    goblins.activity.heartbeat({"progress": "beat-6666"})
    info = goblins.activity.info()
    if info.attempt == 1:  # the second attempt starts from the first one's heartbeat details
        raise RuntimeError("transient")
    assert info.heartbeat_details == {"progress": "beat-6666"}, info.heartbeat_details
    return f"receipt-7777 for {card}"


@goblins.activity
async def decline(card: str) -> None:
    # Built at run time: a stack trace (stored in clear, like error messages) quotes this line.
    raise goblins.ApplicationError("declined", {"why": "details-" + str(9999)}, non_retryable=True)


@goblins.workflow
async def child(text: str, again: bool = True) -> str:
    if again:
        goblins.workflow.continue_as_new(f"again-8888 {text}", False)
    return f"child-result-2222 ({text})"


@goblins.workflow
async def pay(card: str) -> dict[str, Any]:
    state: dict[str, Any] = {"card": card, "signals": []}
    goblins.workflow.set_query_handler("state", lambda: state)
    retry = goblins.RetryPolicy(maximum_attempts=2, initial_interval=0.01)
    receipt = await goblins.workflow.execute_activity(charge, card, retry_policy=retry, start_to_close_timeout=10)
    try:
        await goblins.workflow.execute_activity(decline, card, retry_policy=ONCE, start_to_close_timeout=10)
        details: Any = None
    except goblins.ActivityFailed as exc:
        details = list(exc.details)
    signal = await goblins.workflow.wait_for_signal("approve")
    state["signals"].append(signal)
    done = await goblins.workflow.execute_child(child, "child-3333")
    return {"receipt": receipt, "details": details, "signal": signal, "child": done}


@goblins.workflow
async def refuse(card: str) -> None:
    raise goblins.ApplicationError("refused", "wf-details-" + str(1212))  # (as in decline)


@goblins.workflow
async def echo(*args: Any) -> list[Any]:
    return list(args)


@goblins.activity
def shout(text: str) -> str:  # a sync activity: with activity_executor="process", in a child process
    return text.upper()


@goblins.workflow
async def shouts(text: str) -> str:
    return await goblins.workflow.execute_activity(shout, text, start_to_close_timeout=30)
