from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RetryPolicy(_message.Message):
    __slots__ = ("initial_interval", "backoff_coefficient", "maximum_interval", "max_attempts", "non_retryable_errors")
    INITIAL_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_ERRORS_FIELD_NUMBER: _ClassVar[int]
    initial_interval: float
    backoff_coefficient: float
    maximum_interval: float
    max_attempts: int
    non_retryable_errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, initial_interval: _Optional[float] = ..., backoff_coefficient: _Optional[float] = ..., maximum_interval: _Optional[float] = ..., max_attempts: _Optional[int] = ..., non_retryable_errors: _Optional[_Iterable[str]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("run_id", "seq", "type", "workflow_name", "activity_name", "activity_run_id", "attempt", "max_attempts", "input", "output", "error", "error_type", "timestamp", "retry_at", "retry_policy", "start_to_close_timeout", "fire_at", "signal_name", "child_run_id", "parent_run_id", "execution_timeout", "heartbeat_timeout", "schedule_to_close_timeout", "heartbeat_details", "continued_as")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    RETRY_AT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    FIRE_AT_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    CHILD_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_AS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    seq: int
    type: str
    workflow_name: str
    activity_name: str
    activity_run_id: str
    attempt: int
    max_attempts: int
    input: bytes
    output: bytes
    error: str
    error_type: str
    timestamp: float
    retry_at: float
    retry_policy: RetryPolicy
    start_to_close_timeout: float
    fire_at: float
    signal_name: str
    child_run_id: str
    parent_run_id: str
    execution_timeout: float
    heartbeat_timeout: float
    schedule_to_close_timeout: float
    heartbeat_details: bytes
    continued_as: str
    def __init__(self, run_id: _Optional[str] = ..., seq: _Optional[int] = ..., type: _Optional[str] = ..., workflow_name: _Optional[str] = ..., activity_name: _Optional[str] = ..., activity_run_id: _Optional[str] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., input: _Optional[bytes] = ..., output: _Optional[bytes] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ..., timestamp: _Optional[float] = ..., retry_at: _Optional[float] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., start_to_close_timeout: _Optional[float] = ..., fire_at: _Optional[float] = ..., signal_name: _Optional[str] = ..., child_run_id: _Optional[str] = ..., parent_run_id: _Optional[str] = ..., execution_timeout: _Optional[float] = ..., heartbeat_timeout: _Optional[float] = ..., schedule_to_close_timeout: _Optional[float] = ..., heartbeat_details: _Optional[bytes] = ..., continued_as: _Optional[str] = ...) -> None: ...

class ActivityTask(_message.Message):
    __slots__ = ("task_id", "run_id", "activity_run_id", "activity_name", "workflow_name", "input", "attempt", "max_attempts", "start_to_close_timeout", "heartbeat_timeout", "heartbeat_details")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    activity_run_id: str
    activity_name: str
    workflow_name: str
    input: bytes
    attempt: int
    max_attempts: int
    start_to_close_timeout: float
    heartbeat_timeout: float
    heartbeat_details: bytes
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., activity_run_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., workflow_name: _Optional[str] = ..., input: _Optional[bytes] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., start_to_close_timeout: _Optional[float] = ..., heartbeat_timeout: _Optional[float] = ..., heartbeat_details: _Optional[bytes] = ...) -> None: ...

class WorkflowTask(_message.Message):
    __slots__ = ("task_id", "run_id", "workflow_name", "from_seq", "events")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    workflow_name: str
    from_seq: int
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., from_seq: _Optional[int] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class QueryTask(_message.Message):
    __slots__ = ("query_id", "run_id", "workflow_name", "name", "input", "reply_to")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    run_id: str
    workflow_name: str
    name: str
    input: bytes
    reply_to: str
    def __init__(self, query_id: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[bytes] = ..., reply_to: _Optional[str] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ("activity", "workflow", "query")
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    activity: ActivityTask
    workflow: WorkflowTask
    query: QueryTask
    def __init__(self, activity: _Optional[_Union[ActivityTask, _Mapping]] = ..., workflow: _Optional[_Union[WorkflowTask, _Mapping]] = ..., query: _Optional[_Union[QueryTask, _Mapping]] = ...) -> None: ...

class ScheduleActivity(_message.Message):
    __slots__ = ("activity_run_id", "activity_name", "input", "retry_policy", "start_to_close_timeout", "heartbeat_timeout", "schedule_to_close_timeout")
    ACTIVITY_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    activity_run_id: str
    activity_name: str
    input: bytes
    retry_policy: RetryPolicy
    start_to_close_timeout: float
    heartbeat_timeout: float
    schedule_to_close_timeout: float
    def __init__(self, activity_run_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., input: _Optional[bytes] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., start_to_close_timeout: _Optional[float] = ..., heartbeat_timeout: _Optional[float] = ..., schedule_to_close_timeout: _Optional[float] = ...) -> None: ...

class StartTimer(_message.Message):
    __slots__ = ("timer_id", "seconds")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    seconds: float
    def __init__(self, timer_id: _Optional[str] = ..., seconds: _Optional[float] = ...) -> None: ...

class StartChildWorkflow(_message.Message):
    __slots__ = ("step_id", "workflow_name", "input", "child_run_id")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    CHILD_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    workflow_name: str
    input: bytes
    child_run_id: str
    def __init__(self, step_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., input: _Optional[bytes] = ..., child_run_id: _Optional[str] = ...) -> None: ...

class CompleteWorkflow(_message.Message):
    __slots__ = ("output",)
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    output: bytes
    def __init__(self, output: _Optional[bytes] = ...) -> None: ...

class ContinueAsNew(_message.Message):
    __slots__ = ("input",)
    INPUT_FIELD_NUMBER: _ClassVar[int]
    input: bytes
    def __init__(self, input: _Optional[bytes] = ...) -> None: ...

class FailWorkflow(_message.Message):
    __slots__ = ("error", "error_type")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    error: str
    error_type: str
    def __init__(self, error: _Optional[str] = ..., error_type: _Optional[str] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("schedule_activity", "complete_workflow", "fail_workflow", "start_timer", "start_child_workflow", "continue_as_new")
    SCHEDULE_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    FAIL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    START_TIMER_FIELD_NUMBER: _ClassVar[int]
    START_CHILD_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_AS_NEW_FIELD_NUMBER: _ClassVar[int]
    schedule_activity: ScheduleActivity
    complete_workflow: CompleteWorkflow
    fail_workflow: FailWorkflow
    start_timer: StartTimer
    start_child_workflow: StartChildWorkflow
    continue_as_new: ContinueAsNew
    def __init__(self, schedule_activity: _Optional[_Union[ScheduleActivity, _Mapping]] = ..., complete_workflow: _Optional[_Union[CompleteWorkflow, _Mapping]] = ..., fail_workflow: _Optional[_Union[FailWorkflow, _Mapping]] = ..., start_timer: _Optional[_Union[StartTimer, _Mapping]] = ..., start_child_workflow: _Optional[_Union[StartChildWorkflow, _Mapping]] = ..., continue_as_new: _Optional[_Union[ContinueAsNew, _Mapping]] = ...) -> None: ...

class ActivityStarted(_message.Message):
    __slots__ = ("task_id", "run_id", "activity_run_id", "attempt")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    activity_run_id: str
    attempt: int
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., activity_run_id: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class ActivityResult(_message.Message):
    __slots__ = ("task_id", "run_id", "activity_run_id", "attempt", "ok", "output", "error", "error_type", "heartbeat_details")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    activity_run_id: str
    attempt: int
    ok: bool
    output: bytes
    error: str
    error_type: str
    heartbeat_details: bytes
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., activity_run_id: _Optional[str] = ..., attempt: _Optional[int] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ..., heartbeat_details: _Optional[bytes] = ...) -> None: ...

class ActivityHeartbeat(_message.Message):
    __slots__ = ("task_id", "run_id", "activity_run_id", "attempt", "details")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    activity_run_id: str
    attempt: int
    details: bytes
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., activity_run_id: _Optional[str] = ..., attempt: _Optional[int] = ..., details: _Optional[bytes] = ...) -> None: ...

class WorkflowTaskCompleted(_message.Message):
    __slots__ = ("task_id", "run_id", "seen_seq", "commands")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SEEN_SEQ_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    seen_seq: int
    commands: _containers.RepeatedCompositeFieldContainer[Command]
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., seen_seq: _Optional[int] = ..., commands: _Optional[_Iterable[_Union[Command, _Mapping]]] = ...) -> None: ...

class WorkflowTaskFailed(_message.Message):
    __slots__ = ("task_id", "run_id", "error", "error_type")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    error: str
    error_type: str
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ...) -> None: ...

class TimerFired(_message.Message):
    __slots__ = ("task_id", "run_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class SignalWorkflow(_message.Message):
    __slots__ = ("run_id", "name", "input", "signal_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    name: str
    input: bytes
    signal_id: str
    def __init__(self, run_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[bytes] = ..., signal_id: _Optional[str] = ...) -> None: ...

class CancelWorkflow(_message.Message):
    __slots__ = ("run_id", "terminate", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TERMINATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    terminate: bool
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., terminate: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class ChildFinished(_message.Message):
    __slots__ = ("run_id", "step_id", "child_run_id", "ok", "output", "error", "error_type")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    step_id: str
    child_run_id: str
    ok: bool
    output: bytes
    error: str
    error_type: str
    def __init__(self, run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., child_run_id: _Optional[str] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("activity_started", "activity_result", "workflow_task_completed", "workflow_task_failed", "start_workflow", "timer_fired", "signal_workflow", "cancel_workflow", "child_finished", "activity_heartbeat")
    ACTIVITY_STARTED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_RESULT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_FAILED_FIELD_NUMBER: _ClassVar[int]
    START_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    TIMER_FIRED_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    CANCEL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    CHILD_FINISHED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    activity_started: ActivityStarted
    activity_result: ActivityResult
    workflow_task_completed: WorkflowTaskCompleted
    workflow_task_failed: WorkflowTaskFailed
    start_workflow: StartWorkflowRequest
    timer_fired: TimerFired
    signal_workflow: SignalWorkflow
    cancel_workflow: CancelWorkflow
    child_finished: ChildFinished
    activity_heartbeat: ActivityHeartbeat
    def __init__(self, activity_started: _Optional[_Union[ActivityStarted, _Mapping]] = ..., activity_result: _Optional[_Union[ActivityResult, _Mapping]] = ..., workflow_task_completed: _Optional[_Union[WorkflowTaskCompleted, _Mapping]] = ..., workflow_task_failed: _Optional[_Union[WorkflowTaskFailed, _Mapping]] = ..., start_workflow: _Optional[_Union[StartWorkflowRequest, _Mapping]] = ..., timer_fired: _Optional[_Union[TimerFired, _Mapping]] = ..., signal_workflow: _Optional[_Union[SignalWorkflow, _Mapping]] = ..., cancel_workflow: _Optional[_Union[CancelWorkflow, _Mapping]] = ..., child_finished: _Optional[_Union[ChildFinished, _Mapping]] = ..., activity_heartbeat: _Optional[_Union[ActivityHeartbeat, _Mapping]] = ...) -> None: ...

class ControlResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueryRequest(_message.Message):
    __slots__ = ("run_id", "name", "input")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    name: str
    input: bytes
    def __init__(self, run_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[bytes] = ...) -> None: ...

class QueryAnswer(_message.Message):
    __slots__ = ("query_id", "ok", "output", "error", "error_type")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    ok: bool
    output: bytes
    error: str
    error_type: str
    def __init__(self, query_id: _Optional[str] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("worker_id", "workflows", "activities", "running_task_ids")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    workflows: _containers.RepeatedScalarFieldContainer[str]
    activities: _containers.RepeatedScalarFieldContainer[str]
    running_task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, worker_id: _Optional[str] = ..., workflows: _Optional[_Iterable[str]] = ..., activities: _Optional[_Iterable[str]] = ..., running_task_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Credit(_message.Message):
    __slots__ = ("activities", "workflows")
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    activities: int
    workflows: int
    def __init__(self, activities: _Optional[int] = ..., workflows: _Optional[int] = ...) -> None: ...

class WorkerMessage(_message.Message):
    __slots__ = ("hello", "reports", "credit")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    reports: _containers.RepeatedCompositeFieldContainer[Report]
    credit: Credit
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., reports: _Optional[_Iterable[_Union[Report, _Mapping]]] = ..., credit: _Optional[_Union[Credit, _Mapping]] = ...) -> None: ...

class ServerMessage(_message.Message):
    __slots__ = ("tasks", "acked", "cancelled")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    ACKED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[Task]
    acked: _containers.RepeatedScalarFieldContainer[str]
    cancelled: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tasks: _Optional[_Iterable[_Union[Task, _Mapping]]] = ..., acked: _Optional[_Iterable[str]] = ..., cancelled: _Optional[_Iterable[str]] = ...) -> None: ...

class StartWorkflowRequest(_message.Message):
    __slots__ = ("workflow_name", "input", "run_id", "parent_run_id", "parent_step", "execution_timeout")
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_STEP_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    workflow_name: str
    input: bytes
    run_id: str
    parent_run_id: str
    parent_step: str
    execution_timeout: float
    def __init__(self, workflow_name: _Optional[str] = ..., input: _Optional[bytes] = ..., run_id: _Optional[str] = ..., parent_run_id: _Optional[str] = ..., parent_step: _Optional[str] = ..., execution_timeout: _Optional[float] = ...) -> None: ...

class StartWorkflowResponse(_message.Message):
    __slots__ = ("run_id", "existed")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EXISTED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    existed: bool
    def __init__(self, run_id: _Optional[str] = ..., existed: _Optional[bool] = ...) -> None: ...

class GetResultRequest(_message.Message):
    __slots__ = ("run_id", "wait", "started")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    wait: float
    started: bool
    def __init__(self, run_id: _Optional[str] = ..., wait: _Optional[float] = ..., started: _Optional[bool] = ...) -> None: ...

class GetResultResponse(_message.Message):
    __slots__ = ("found", "finished", "ok", "output", "error", "error_type", "workflow_name", "continued_as")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_AS_FIELD_NUMBER: _ClassVar[int]
    found: bool
    finished: bool
    ok: bool
    output: bytes
    error: str
    error_type: str
    workflow_name: str
    continued_as: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, found: _Optional[bool] = ..., finished: _Optional[bool] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ..., workflow_name: _Optional[str] = ..., continued_as: _Optional[_Iterable[str]] = ...) -> None: ...

class GetHistoryRequest(_message.Message):
    __slots__ = ("run_id", "after_seq")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    after_seq: int
    def __init__(self, run_id: _Optional[str] = ..., after_seq: _Optional[int] = ...) -> None: ...

class GetHistoryResponse(_message.Message):
    __slots__ = ("found", "events")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    found: bool
    events: _containers.RepeatedCompositeFieldContainer[Event]
    def __init__(self, found: _Optional[bool] = ..., events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ...) -> None: ...

class ListWorkflowsRequest(_message.Message):
    __slots__ = ("status", "workflow_name", "limit")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    status: str
    workflow_name: str
    limit: int
    def __init__(self, status: _Optional[str] = ..., workflow_name: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class RunInfo(_message.Message):
    __slots__ = ("run_id", "workflow_name", "status", "created_at", "finished_at")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    workflow_name: str
    status: str
    created_at: float
    finished_at: float
    def __init__(self, run_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., status: _Optional[str] = ..., created_at: _Optional[float] = ..., finished_at: _Optional[float] = ...) -> None: ...

class ListWorkflowsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RunInfo]
    def __init__(self, runs: _Optional[_Iterable[_Union[RunInfo, _Mapping]]] = ...) -> None: ...

class ClusterInfo(_message.Message):
    __slots__ = ("transport", "bootstrap_servers", "tasks_topic", "events_topic", "partitions", "worker_group")
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_SERVERS_FIELD_NUMBER: _ClassVar[int]
    TASKS_TOPIC_FIELD_NUMBER: _ClassVar[int]
    EVENTS_TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    WORKER_GROUP_FIELD_NUMBER: _ClassVar[int]
    transport: str
    bootstrap_servers: str
    tasks_topic: str
    events_topic: str
    partitions: int
    worker_group: str
    def __init__(self, transport: _Optional[str] = ..., bootstrap_servers: _Optional[str] = ..., tasks_topic: _Optional[str] = ..., events_topic: _Optional[str] = ..., partitions: _Optional[int] = ..., worker_group: _Optional[str] = ...) -> None: ...

class ClusterInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CheckTasksRequest(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[ActivityTask]
    def __init__(self, tasks: _Optional[_Iterable[_Union[ActivityTask, _Mapping]]] = ...) -> None: ...

class CheckTasksResponse(_message.Message):
    __slots__ = ("pending", "heartbeat_details")
    PENDING_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    pending: _containers.RepeatedScalarFieldContainer[bool]
    heartbeat_details: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, pending: _Optional[_Iterable[bool]] = ..., heartbeat_details: _Optional[_Iterable[bytes]] = ...) -> None: ...

class ClientRequest(_message.Message):
    __slots__ = ("id", "start", "result")
    ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    id: int
    start: StartWorkflowRequest
    result: GetResultRequest
    def __init__(self, id: _Optional[int] = ..., start: _Optional[_Union[StartWorkflowRequest, _Mapping]] = ..., result: _Optional[_Union[GetResultRequest, _Mapping]] = ...) -> None: ...

class ClientReply(_message.Message):
    __slots__ = ("id", "start", "result", "code", "details")
    ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: int
    start: StartWorkflowResponse
    result: GetResultResponse
    code: int
    details: str
    def __init__(self, id: _Optional[int] = ..., start: _Optional[_Union[StartWorkflowResponse, _Mapping]] = ..., result: _Optional[_Union[GetResultResponse, _Mapping]] = ..., code: _Optional[int] = ..., details: _Optional[str] = ...) -> None: ...

class ClientRequests(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ClientRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[ClientRequest, _Mapping]]] = ...) -> None: ...

class ClientReplies(_message.Message):
    __slots__ = ("replies",)
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[ClientReply]
    def __init__(self, replies: _Optional[_Iterable[_Union[ClientReply, _Mapping]]] = ...) -> None: ...
