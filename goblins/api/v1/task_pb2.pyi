from goblins.api.v1 import history_pb2 as _history_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IdReusePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ID_REUSE_ALLOW_DUPLICATE: _ClassVar[IdReusePolicy]
    ID_REUSE_ALLOW_DUPLICATE_FAILED_ONLY: _ClassVar[IdReusePolicy]
    ID_REUSE_REJECT_DUPLICATE: _ClassVar[IdReusePolicy]

class IdConflictPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ID_CONFLICT_FAIL: _ClassVar[IdConflictPolicy]
    ID_CONFLICT_USE_EXISTING: _ClassVar[IdConflictPolicy]
    ID_CONFLICT_TERMINATE_EXISTING: _ClassVar[IdConflictPolicy]
ID_REUSE_ALLOW_DUPLICATE: IdReusePolicy
ID_REUSE_ALLOW_DUPLICATE_FAILED_ONLY: IdReusePolicy
ID_REUSE_REJECT_DUPLICATE: IdReusePolicy
ID_CONFLICT_FAIL: IdConflictPolicy
ID_CONFLICT_USE_EXISTING: IdConflictPolicy
ID_CONFLICT_TERMINATE_EXISTING: IdConflictPolicy

class ActivityTask(_message.Message):
    __slots__ = ("task_id", "run_id", "step_id", "activity_name", "workflow_name", "input", "attempt", "max_attempts", "start_to_close_timeout", "heartbeat_timeout", "heartbeat_details", "trace_context", "task_queue", "priority", "concurrency_key")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    step_id: str
    activity_name: str
    workflow_name: str
    input: bytes
    attempt: int
    max_attempts: int
    start_to_close_timeout: float
    heartbeat_timeout: float
    heartbeat_details: bytes
    trace_context: _containers.ScalarMap[str, str]
    task_queue: str
    priority: int
    concurrency_key: str
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., workflow_name: _Optional[str] = ..., input: _Optional[bytes] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., start_to_close_timeout: _Optional[float] = ..., heartbeat_timeout: _Optional[float] = ..., heartbeat_details: _Optional[bytes] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ..., concurrency_key: _Optional[str] = ...) -> None: ...

class WorkflowTask(_message.Message):
    __slots__ = ("task_id", "run_id", "workflow_name", "from_seq", "events", "next_page_token", "last_seq", "replay_through", "task_queue", "priority")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    REPLAY_THROUGH_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    workflow_name: str
    from_seq: int
    events: _containers.RepeatedCompositeFieldContainer[_history_pb2.HistoryEvent]
    next_page_token: bytes
    last_seq: int
    replay_through: int
    task_queue: str
    priority: int
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., from_seq: _Optional[int] = ..., events: _Optional[_Iterable[_Union[_history_pb2.HistoryEvent, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ..., last_seq: _Optional[int] = ..., replay_through: _Optional[int] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class QueryTask(_message.Message):
    __slots__ = ("query_id", "run_id", "workflow_name", "name", "input", "reply_to", "validate_update", "task_queue")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    run_id: str
    workflow_name: str
    name: str
    input: bytes
    reply_to: str
    validate_update: bool
    task_queue: str
    def __init__(self, query_id: _Optional[str] = ..., run_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[bytes] = ..., reply_to: _Optional[str] = ..., validate_update: _Optional[bool] = ..., task_queue: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("step_id", "activity_name", "input", "retry_policy", "start_to_close_timeout", "heartbeat_timeout", "schedule_to_close_timeout", "trace_context", "task_queue", "priority", "concurrency_key")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    activity_name: str
    input: bytes
    retry_policy: _history_pb2.RetryPolicy
    start_to_close_timeout: float
    heartbeat_timeout: float
    schedule_to_close_timeout: float
    trace_context: _containers.ScalarMap[str, str]
    task_queue: str
    priority: int
    concurrency_key: str
    def __init__(self, step_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., input: _Optional[bytes] = ..., retry_policy: _Optional[_Union[_history_pb2.RetryPolicy, _Mapping]] = ..., start_to_close_timeout: _Optional[float] = ..., heartbeat_timeout: _Optional[float] = ..., schedule_to_close_timeout: _Optional[float] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ..., concurrency_key: _Optional[str] = ...) -> None: ...

class StartTimer(_message.Message):
    __slots__ = ("timer_id", "seconds")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    seconds: float
    def __init__(self, timer_id: _Optional[str] = ..., seconds: _Optional[float] = ...) -> None: ...

class StartChildWorkflow(_message.Message):
    __slots__ = ("step_id", "workflow_name", "input", "child_run_id", "trace_context", "task_queue", "priority", "search_attributes", "memo")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class SearchAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _history_pb2.SearchValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_history_pb2.SearchValue, _Mapping]] = ...) -> None: ...
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    CHILD_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    workflow_name: str
    input: bytes
    child_run_id: str
    trace_context: _containers.ScalarMap[str, str]
    task_queue: str
    priority: int
    search_attributes: _containers.MessageMap[str, _history_pb2.SearchValue]
    memo: bytes
    def __init__(self, step_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., input: _Optional[bytes] = ..., child_run_id: _Optional[str] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ..., search_attributes: _Optional[_Mapping[str, _history_pb2.SearchValue]] = ..., memo: _Optional[bytes] = ...) -> None: ...

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

class RecordMarker(_message.Message):
    __slots__ = ("patch_id", "deprecated")
    PATCH_ID_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    patch_id: str
    deprecated: bool
    def __init__(self, patch_id: _Optional[str] = ..., deprecated: _Optional[bool] = ...) -> None: ...

class RecordLocalActivity(_message.Message):
    __slots__ = ("outcome",)
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    outcome: _history_pb2.LocalActivityRecordedAttributes
    def __init__(self, outcome: _Optional[_Union[_history_pb2.LocalActivityRecordedAttributes, _Mapping]] = ...) -> None: ...

class FailWorkflow(_message.Message):
    __slots__ = ("error", "error_type", "stack_trace", "error_details")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    STACK_TRACE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    error: str
    error_type: str
    stack_trace: str
    error_details: bytes
    def __init__(self, error: _Optional[str] = ..., error_type: _Optional[str] = ..., stack_trace: _Optional[str] = ..., error_details: _Optional[bytes] = ...) -> None: ...

class CompleteUpdate(_message.Message):
    __slots__ = ("update_id", "output", "failure")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    output: bytes
    failure: FailWorkflow
    def __init__(self, update_id: _Optional[str] = ..., output: _Optional[bytes] = ..., failure: _Optional[_Union[FailWorkflow, _Mapping]] = ...) -> None: ...

class UpsertSearchAttributes(_message.Message):
    __slots__ = ("search_attributes", "upsert_id")
    class SearchAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _history_pb2.SearchValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_history_pb2.SearchValue, _Mapping]] = ...) -> None: ...
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    UPSERT_ID_FIELD_NUMBER: _ClassVar[int]
    search_attributes: _containers.MessageMap[str, _history_pb2.SearchValue]
    upsert_id: str
    def __init__(self, search_attributes: _Optional[_Mapping[str, _history_pb2.SearchValue]] = ..., upsert_id: _Optional[str] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("schedule_activity", "complete_workflow", "fail_workflow", "start_timer", "start_child_workflow", "continue_as_new", "record_marker", "complete_update", "upsert_search_attributes", "record_local_activity")
    SCHEDULE_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    FAIL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    START_TIMER_FIELD_NUMBER: _ClassVar[int]
    START_CHILD_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_AS_NEW_FIELD_NUMBER: _ClassVar[int]
    RECORD_MARKER_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    UPSERT_SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    RECORD_LOCAL_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    schedule_activity: ScheduleActivity
    complete_workflow: CompleteWorkflow
    fail_workflow: FailWorkflow
    start_timer: StartTimer
    start_child_workflow: StartChildWorkflow
    continue_as_new: ContinueAsNew
    record_marker: RecordMarker
    complete_update: CompleteUpdate
    upsert_search_attributes: UpsertSearchAttributes
    record_local_activity: RecordLocalActivity
    def __init__(self, schedule_activity: _Optional[_Union[ScheduleActivity, _Mapping]] = ..., complete_workflow: _Optional[_Union[CompleteWorkflow, _Mapping]] = ..., fail_workflow: _Optional[_Union[FailWorkflow, _Mapping]] = ..., start_timer: _Optional[_Union[StartTimer, _Mapping]] = ..., start_child_workflow: _Optional[_Union[StartChildWorkflow, _Mapping]] = ..., continue_as_new: _Optional[_Union[ContinueAsNew, _Mapping]] = ..., record_marker: _Optional[_Union[RecordMarker, _Mapping]] = ..., complete_update: _Optional[_Union[CompleteUpdate, _Mapping]] = ..., upsert_search_attributes: _Optional[_Union[UpsertSearchAttributes, _Mapping]] = ..., record_local_activity: _Optional[_Union[RecordLocalActivity, _Mapping]] = ...) -> None: ...

class ActivityStarted(_message.Message):
    __slots__ = ("task_id", "run_id", "step_id", "attempt")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    step_id: str
    attempt: int
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class ActivityResult(_message.Message):
    __slots__ = ("task_id", "run_id", "step_id", "attempt", "ok", "output", "error", "error_type", "heartbeat_details", "stack_trace", "non_retryable", "error_details", "async_completion", "token_hash")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    STACK_TRACE_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    ASYNC_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    TOKEN_HASH_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    step_id: str
    attempt: int
    ok: bool
    output: bytes
    error: str
    error_type: str
    heartbeat_details: bytes
    stack_trace: str
    non_retryable: bool
    error_details: bytes
    async_completion: bool
    token_hash: bytes
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ..., heartbeat_details: _Optional[bytes] = ..., stack_trace: _Optional[str] = ..., non_retryable: _Optional[bool] = ..., error_details: _Optional[bytes] = ..., async_completion: _Optional[bool] = ..., token_hash: _Optional[bytes] = ...) -> None: ...

class ActivityHeartbeat(_message.Message):
    __slots__ = ("task_id", "run_id", "step_id", "attempt", "details")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    step_id: str
    attempt: int
    details: bytes
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., details: _Optional[bytes] = ...) -> None: ...

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
    __slots__ = ("task_id", "run_id", "error", "error_type", "stack_trace")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    STACK_TRACE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    run_id: str
    error: str
    error_type: str
    stack_trace: str
    def __init__(self, task_id: _Optional[str] = ..., run_id: _Optional[str] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ..., stack_trace: _Optional[str] = ...) -> None: ...

class TimerFired(_message.Message):
    __slots__ = ("timer_id", "run_id")
    TIMER_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    timer_id: str
    run_id: str
    def __init__(self, timer_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class SignalWorkflow(_message.Message):
    __slots__ = ("run_id", "name", "input", "signal_id", "workflow_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    name: str
    input: bytes
    signal_id: str
    workflow_id: str
    def __init__(self, run_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[bytes] = ..., signal_id: _Optional[str] = ..., workflow_id: _Optional[str] = ...) -> None: ...

class CancelWorkflow(_message.Message):
    __slots__ = ("run_id", "terminate", "reason", "workflow_id", "reset_to_run_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TERMINATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RESET_TO_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    terminate: bool
    reason: str
    workflow_id: str
    reset_to_run_id: str
    def __init__(self, run_id: _Optional[str] = ..., terminate: _Optional[bool] = ..., reason: _Optional[str] = ..., workflow_id: _Optional[str] = ..., reset_to_run_id: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("activity_started", "activity_result", "workflow_task_completed", "workflow_task_failed", "start_workflow", "timer_fired", "signal_workflow", "cancel_workflow", "child_finished", "activity_heartbeat", "update_workflow", "complete_activity")
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
    UPDATE_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
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
    update_workflow: UpdateWorkflowRequest
    complete_activity: ActivityCompletion
    def __init__(self, activity_started: _Optional[_Union[ActivityStarted, _Mapping]] = ..., activity_result: _Optional[_Union[ActivityResult, _Mapping]] = ..., workflow_task_completed: _Optional[_Union[WorkflowTaskCompleted, _Mapping]] = ..., workflow_task_failed: _Optional[_Union[WorkflowTaskFailed, _Mapping]] = ..., start_workflow: _Optional[_Union[StartWorkflowRequest, _Mapping]] = ..., timer_fired: _Optional[_Union[TimerFired, _Mapping]] = ..., signal_workflow: _Optional[_Union[SignalWorkflow, _Mapping]] = ..., cancel_workflow: _Optional[_Union[CancelWorkflow, _Mapping]] = ..., child_finished: _Optional[_Union[ChildFinished, _Mapping]] = ..., activity_heartbeat: _Optional[_Union[ActivityHeartbeat, _Mapping]] = ..., update_workflow: _Optional[_Union[UpdateWorkflowRequest, _Mapping]] = ..., complete_activity: _Optional[_Union[ActivityCompletion, _Mapping]] = ...) -> None: ...

class TaskToken(_message.Message):
    __slots__ = ("version", "run_id", "step_id", "attempt", "secret")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    version: int
    run_id: str
    step_id: str
    attempt: int
    secret: bytes
    def __init__(self, version: _Optional[int] = ..., run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., secret: _Optional[bytes] = ...) -> None: ...

class ActivityCompletion(_message.Message):
    __slots__ = ("run_id", "step_id", "attempt", "secret", "ok", "output", "failure", "heartbeat", "details")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    step_id: str
    attempt: int
    secret: bytes
    ok: bool
    output: bytes
    failure: _history_pb2.Failure
    heartbeat: bool
    details: bytes
    def __init__(self, run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., secret: _Optional[bytes] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., failure: _Optional[_Union[_history_pb2.Failure, _Mapping]] = ..., heartbeat: _Optional[bool] = ..., details: _Optional[bytes] = ...) -> None: ...

class StartWorkflowRequest(_message.Message):
    __slots__ = ("workflow_name", "input", "run_id", "parent_run_id", "parent_step", "execution_timeout", "workflow_id", "id_reuse_policy", "id_conflict_policy", "start_signal", "start_signal_input", "start_signal_id", "trace_context", "reset", "search_attributes", "memo", "task_queue", "priority")
    class TraceContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class SearchAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _history_pb2.SearchValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_history_pb2.SearchValue, _Mapping]] = ...) -> None: ...
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_STEP_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    ID_REUSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    ID_CONFLICT_POLICY_FIELD_NUMBER: _ClassVar[int]
    START_SIGNAL_FIELD_NUMBER: _ClassVar[int]
    START_SIGNAL_INPUT_FIELD_NUMBER: _ClassVar[int]
    START_SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    workflow_name: str
    input: bytes
    run_id: str
    parent_run_id: str
    parent_step: str
    execution_timeout: float
    workflow_id: str
    id_reuse_policy: IdReusePolicy
    id_conflict_policy: IdConflictPolicy
    start_signal: str
    start_signal_input: bytes
    start_signal_id: str
    trace_context: _containers.ScalarMap[str, str]
    reset: ResetWorkflowRequest
    search_attributes: _containers.MessageMap[str, _history_pb2.SearchValue]
    memo: bytes
    task_queue: str
    priority: int
    def __init__(self, workflow_name: _Optional[str] = ..., input: _Optional[bytes] = ..., run_id: _Optional[str] = ..., parent_run_id: _Optional[str] = ..., parent_step: _Optional[str] = ..., execution_timeout: _Optional[float] = ..., workflow_id: _Optional[str] = ..., id_reuse_policy: _Optional[_Union[IdReusePolicy, str]] = ..., id_conflict_policy: _Optional[_Union[IdConflictPolicy, str]] = ..., start_signal: _Optional[str] = ..., start_signal_input: _Optional[bytes] = ..., start_signal_id: _Optional[str] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., reset: _Optional[_Union[ResetWorkflowRequest, _Mapping]] = ..., search_attributes: _Optional[_Mapping[str, _history_pb2.SearchValue]] = ..., memo: _Optional[bytes] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class ResetWorkflowRequest(_message.Message):
    __slots__ = ("workflow_id", "run_id", "to_seq", "to_last_workflow_task", "reason", "drop_signals", "new_workflow_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TO_SEQ_FIELD_NUMBER: _ClassVar[int]
    TO_LAST_WORKFLOW_TASK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DROP_SIGNALS_FIELD_NUMBER: _ClassVar[int]
    NEW_WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    to_seq: int
    to_last_workflow_task: bool
    reason: str
    drop_signals: bool
    new_workflow_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., to_seq: _Optional[int] = ..., to_last_workflow_task: _Optional[bool] = ..., reason: _Optional[str] = ..., drop_signals: _Optional[bool] = ..., new_workflow_id: _Optional[str] = ...) -> None: ...

class ResetWorkflowResponse(_message.Message):
    __slots__ = ("run_id", "workflow_id", "to_seq", "reset_run_id", "signals_reapplied")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    TO_SEQ_FIELD_NUMBER: _ClassVar[int]
    RESET_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_REAPPLIED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    workflow_id: str
    to_seq: int
    reset_run_id: str
    signals_reapplied: int
    def __init__(self, run_id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., to_seq: _Optional[int] = ..., reset_run_id: _Optional[str] = ..., signals_reapplied: _Optional[int] = ...) -> None: ...

class UpdateWorkflowRequest(_message.Message):
    __slots__ = ("run_id", "update_id", "name", "input", "wait", "workflow_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    update_id: str
    name: str
    input: bytes
    wait: float
    workflow_id: str
    def __init__(self, run_id: _Optional[str] = ..., update_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[bytes] = ..., wait: _Optional[float] = ..., workflow_id: _Optional[str] = ...) -> None: ...
