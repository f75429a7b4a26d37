from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    WORKFLOW_SCHEDULED: _ClassVar[EventType]
    WORKFLOW_STARTED: _ClassVar[EventType]
    WORKFLOW_FINISHED_IN_SUCCESS: _ClassVar[EventType]
    WORKFLOW_FINISHED_IN_ERROR: _ClassVar[EventType]
    ACTIVITY_SCHEDULED: _ClassVar[EventType]
    ACTIVITY_STARTED: _ClassVar[EventType]
    ACTIVITY_FINISHED_IN_SUCCESS: _ClassVar[EventType]
    ACTIVITY_FINISHED_IN_ERROR: _ClassVar[EventType]
    WORKFLOW_TASK_FAILED: _ClassVar[EventType]
    TIMER_STARTED: _ClassVar[EventType]
    TIMER_FIRED: _ClassVar[EventType]
    WORKFLOW_SIGNALED: _ClassVar[EventType]
    WORKFLOW_CANCEL_REQUESTED: _ClassVar[EventType]
    CHILD_WORKFLOW_STARTED: _ClassVar[EventType]
    CHILD_WORKFLOW_COMPLETED: _ClassVar[EventType]
    CHILD_WORKFLOW_FAILED: _ClassVar[EventType]
    MARKER_RECORDED: _ClassVar[EventType]
    UPDATE_ACCEPTED: _ClassVar[EventType]
    UPDATE_COMPLETED: _ClassVar[EventType]
    SEARCH_ATTRIBUTES_UPSERTED: _ClassVar[EventType]
    LOCAL_ACTIVITY_RECORDED: _ClassVar[EventType]
EVENT_TYPE_UNSPECIFIED: EventType
WORKFLOW_SCHEDULED: EventType
WORKFLOW_STARTED: EventType
WORKFLOW_FINISHED_IN_SUCCESS: EventType
WORKFLOW_FINISHED_IN_ERROR: EventType
ACTIVITY_SCHEDULED: EventType
ACTIVITY_STARTED: EventType
ACTIVITY_FINISHED_IN_SUCCESS: EventType
ACTIVITY_FINISHED_IN_ERROR: EventType
WORKFLOW_TASK_FAILED: EventType
TIMER_STARTED: EventType
TIMER_FIRED: EventType
WORKFLOW_SIGNALED: EventType
WORKFLOW_CANCEL_REQUESTED: EventType
CHILD_WORKFLOW_STARTED: EventType
CHILD_WORKFLOW_COMPLETED: EventType
CHILD_WORKFLOW_FAILED: EventType
MARKER_RECORDED: EventType
UPDATE_ACCEPTED: EventType
UPDATE_COMPLETED: EventType
SEARCH_ATTRIBUTES_UPSERTED: EventType
LOCAL_ACTIVITY_RECORDED: EventType

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

class SearchValue(_message.Message):
    __slots__ = ("keyword", "text", "int", "float", "bool", "datetime")
    KEYWORD_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    INT_FIELD_NUMBER: _ClassVar[int]
    FLOAT_FIELD_NUMBER: _ClassVar[int]
    BOOL_FIELD_NUMBER: _ClassVar[int]
    DATETIME_FIELD_NUMBER: _ClassVar[int]
    keyword: str
    text: str
    int: int
    float: float
    bool: bool
    datetime: float
    def __init__(self, keyword: _Optional[str] = ..., text: _Optional[str] = ..., int: _Optional[int] = ..., float: _Optional[float] = ..., bool: _Optional[bool] = ..., datetime: _Optional[float] = ...) -> None: ...

class Failure(_message.Message):
    __slots__ = ("message", "type", "stack_trace", "non_retryable", "details", "cause")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STACK_TRACE_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    message: str
    type: str
    stack_trace: str
    non_retryable: bool
    details: bytes
    cause: Failure
    def __init__(self, message: _Optional[str] = ..., type: _Optional[str] = ..., stack_trace: _Optional[str] = ..., non_retryable: _Optional[bool] = ..., details: _Optional[bytes] = ..., cause: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class HistoryEvent(_message.Message):
    __slots__ = ("run_id", "seq", "time", "type", "workflow_name", "workflow_scheduled", "workflow_started", "workflow_finished_in_success", "workflow_finished_in_error", "activity_scheduled", "activity_started", "activity_finished_in_success", "activity_finished_in_error", "workflow_task_failed", "timer_started", "timer_fired", "workflow_signaled", "workflow_cancel_requested", "child_workflow_started", "child_workflow_completed", "child_workflow_failed", "marker_recorded", "update_accepted", "update_completed", "search_attributes_upserted", "local_activity_recorded")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_STARTED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FINISHED_IN_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_FINISHED_IN_ERROR_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_STARTED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FINISHED_IN_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FINISHED_IN_ERROR_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_FAILED_FIELD_NUMBER: _ClassVar[int]
    TIMER_STARTED_FIELD_NUMBER: _ClassVar[int]
    TIMER_FIRED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_SIGNALED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_STARTED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_FAILED_FIELD_NUMBER: _ClassVar[int]
    MARKER_RECORDED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_UPSERTED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ACTIVITY_RECORDED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    seq: int
    time: float
    type: EventType
    workflow_name: str
    workflow_scheduled: WorkflowScheduledAttributes
    workflow_started: WorkflowStartedAttributes
    workflow_finished_in_success: WorkflowFinishedInSuccessAttributes
    workflow_finished_in_error: WorkflowFinishedInErrorAttributes
    activity_scheduled: ActivityScheduledAttributes
    activity_started: ActivityStartedAttributes
    activity_finished_in_success: ActivityFinishedInSuccessAttributes
    activity_finished_in_error: ActivityFinishedInErrorAttributes
    workflow_task_failed: WorkflowTaskFailedAttributes
    timer_started: TimerStartedAttributes
    timer_fired: TimerFiredAttributes
    workflow_signaled: WorkflowSignaledAttributes
    workflow_cancel_requested: WorkflowCancelRequestedAttributes
    child_workflow_started: ChildWorkflowStartedAttributes
    child_workflow_completed: ChildWorkflowCompletedAttributes
    child_workflow_failed: ChildWorkflowFailedAttributes
    marker_recorded: MarkerRecordedAttributes
    update_accepted: UpdateAcceptedAttributes
    update_completed: UpdateCompletedAttributes
    search_attributes_upserted: SearchAttributesUpsertedAttributes
    local_activity_recorded: LocalActivityRecordedAttributes
    def __init__(self, run_id: _Optional[str] = ..., seq: _Optional[int] = ..., time: _Optional[float] = ..., type: _Optional[_Union[EventType, str]] = ..., workflow_name: _Optional[str] = ..., workflow_scheduled: _Optional[_Union[WorkflowScheduledAttributes, _Mapping]] = ..., workflow_started: _Optional[_Union[WorkflowStartedAttributes, _Mapping]] = ..., workflow_finished_in_success: _Optional[_Union[WorkflowFinishedInSuccessAttributes, _Mapping]] = ..., workflow_finished_in_error: _Optional[_Union[WorkflowFinishedInErrorAttributes, _Mapping]] = ..., activity_scheduled: _Optional[_Union[ActivityScheduledAttributes, _Mapping]] = ..., activity_started: _Optional[_Union[ActivityStartedAttributes, _Mapping]] = ..., activity_finished_in_success: _Optional[_Union[ActivityFinishedInSuccessAttributes, _Mapping]] = ..., activity_finished_in_error: _Optional[_Union[ActivityFinishedInErrorAttributes, _Mapping]] = ..., workflow_task_failed: _Optional[_Union[WorkflowTaskFailedAttributes, _Mapping]] = ..., timer_started: _Optional[_Union[TimerStartedAttributes, _Mapping]] = ..., timer_fired: _Optional[_Union[TimerFiredAttributes, _Mapping]] = ..., workflow_signaled: _Optional[_Union[WorkflowSignaledAttributes, _Mapping]] = ..., workflow_cancel_requested: _Optional[_Union[WorkflowCancelRequestedAttributes, _Mapping]] = ..., child_workflow_started: _Optional[_Union[ChildWorkflowStartedAttributes, _Mapping]] = ..., child_workflow_completed: _Optional[_Union[ChildWorkflowCompletedAttributes, _Mapping]] = ..., child_workflow_failed: _Optional[_Union[ChildWorkflowFailedAttributes, _Mapping]] = ..., marker_recorded: _Optional[_Union[MarkerRecordedAttributes, _Mapping]] = ..., update_accepted: _Optional[_Union[UpdateAcceptedAttributes, _Mapping]] = ..., update_completed: _Optional[_Union[UpdateCompletedAttributes, _Mapping]] = ..., search_attributes_upserted: _Optional[_Union[SearchAttributesUpsertedAttributes, _Mapping]] = ..., local_activity_recorded: _Optional[_Union[LocalActivityRecordedAttributes, _Mapping]] = ...) -> None: ...

class WorkflowScheduledAttributes(_message.Message):
    __slots__ = ("input", "parent_run_id", "parent_step_id", "execution_timeout", "trace_context", "workflow_id", "reset_from_run_id", "reset_to_seq", "reset_reason", "search_attributes", "memo", "task_queue", "priority")
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
        value: SearchValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SearchValue, _Mapping]] = ...) -> None: ...
    INPUT_FIELD_NUMBER: _ClassVar[int]
    PARENT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RESET_FROM_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RESET_TO_SEQ_FIELD_NUMBER: _ClassVar[int]
    RESET_REASON_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    input: bytes
    parent_run_id: str
    parent_step_id: str
    execution_timeout: float
    trace_context: _containers.ScalarMap[str, str]
    workflow_id: str
    reset_from_run_id: str
    reset_to_seq: int
    reset_reason: str
    search_attributes: _containers.MessageMap[str, SearchValue]
    memo: bytes
    task_queue: str
    priority: int
    def __init__(self, input: _Optional[bytes] = ..., parent_run_id: _Optional[str] = ..., parent_step_id: _Optional[str] = ..., execution_timeout: _Optional[float] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., workflow_id: _Optional[str] = ..., reset_from_run_id: _Optional[str] = ..., reset_to_seq: _Optional[int] = ..., reset_reason: _Optional[str] = ..., search_attributes: _Optional[_Mapping[str, SearchValue]] = ..., memo: _Optional[bytes] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class WorkflowStartedAttributes(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WorkflowFinishedInSuccessAttributes(_message.Message):
    __slots__ = ("output", "continued_as", "input")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_AS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    output: bytes
    continued_as: str
    input: bytes
    def __init__(self, output: _Optional[bytes] = ..., continued_as: _Optional[str] = ..., input: _Optional[bytes] = ...) -> None: ...

class WorkflowFinishedInErrorAttributes(_message.Message):
    __slots__ = ("failure", "reset_to_run_id")
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    RESET_TO_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    failure: Failure
    reset_to_run_id: str
    def __init__(self, failure: _Optional[_Union[Failure, _Mapping]] = ..., reset_to_run_id: _Optional[str] = ...) -> None: ...

class ActivityScheduledAttributes(_message.Message):
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
    retry_policy: RetryPolicy
    start_to_close_timeout: float
    heartbeat_timeout: float
    schedule_to_close_timeout: float
    trace_context: _containers.ScalarMap[str, str]
    task_queue: str
    priority: int
    concurrency_key: str
    def __init__(self, step_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., input: _Optional[bytes] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., start_to_close_timeout: _Optional[float] = ..., heartbeat_timeout: _Optional[float] = ..., schedule_to_close_timeout: _Optional[float] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ..., concurrency_key: _Optional[str] = ...) -> None: ...

class ActivityStartedAttributes(_message.Message):
    __slots__ = ("step_id", "activity_name", "attempt", "max_attempts", "async_token_hash")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ASYNC_TOKEN_HASH_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    activity_name: str
    attempt: int
    max_attempts: int
    async_token_hash: bytes
    def __init__(self, step_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., async_token_hash: _Optional[bytes] = ...) -> None: ...

class ActivityFinishedInSuccessAttributes(_message.Message):
    __slots__ = ("step_id", "activity_name", "attempt", "max_attempts", "output")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    activity_name: str
    attempt: int
    max_attempts: int
    output: bytes
    def __init__(self, step_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., output: _Optional[bytes] = ...) -> None: ...

class ActivityFinishedInErrorAttributes(_message.Message):
    __slots__ = ("step_id", "activity_name", "attempt", "max_attempts", "failure", "retry_at", "heartbeat_details")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    RETRY_AT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    activity_name: str
    attempt: int
    max_attempts: int
    failure: Failure
    retry_at: float
    heartbeat_details: bytes
    def __init__(self, step_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., retry_at: _Optional[float] = ..., heartbeat_details: _Optional[bytes] = ...) -> None: ...

class WorkflowTaskFailedAttributes(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: Failure
    def __init__(self, failure: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class TimerStartedAttributes(_message.Message):
    __slots__ = ("step_id", "fire_at")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    FIRE_AT_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    fire_at: float
    def __init__(self, step_id: _Optional[str] = ..., fire_at: _Optional[float] = ...) -> None: ...

class TimerFiredAttributes(_message.Message):
    __slots__ = ("step_id", "fire_at")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    FIRE_AT_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    fire_at: float
    def __init__(self, step_id: _Optional[str] = ..., fire_at: _Optional[float] = ...) -> None: ...

class WorkflowSignaledAttributes(_message.Message):
    __slots__ = ("signal_name", "input", "signal_id")
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    signal_name: str
    input: bytes
    signal_id: str
    def __init__(self, signal_name: _Optional[str] = ..., input: _Optional[bytes] = ..., signal_id: _Optional[str] = ...) -> None: ...

class WorkflowCancelRequestedAttributes(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class ChildWorkflowStartedAttributes(_message.Message):
    __slots__ = ("step_id", "child_workflow_name", "child_run_id", "input", "trace_context", "task_queue", "priority", "search_attributes", "memo")
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
        value: SearchValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SearchValue, _Mapping]] = ...) -> None: ...
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    CHILD_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    TRACE_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    child_workflow_name: str
    child_run_id: str
    input: bytes
    trace_context: _containers.ScalarMap[str, str]
    task_queue: str
    priority: int
    search_attributes: _containers.MessageMap[str, SearchValue]
    memo: bytes
    def __init__(self, step_id: _Optional[str] = ..., child_workflow_name: _Optional[str] = ..., child_run_id: _Optional[str] = ..., input: _Optional[bytes] = ..., trace_context: _Optional[_Mapping[str, str]] = ..., task_queue: _Optional[str] = ..., priority: _Optional[int] = ..., search_attributes: _Optional[_Mapping[str, SearchValue]] = ..., memo: _Optional[bytes] = ...) -> None: ...

class ChildWorkflowCompletedAttributes(_message.Message):
    __slots__ = ("step_id", "child_workflow_name", "child_run_id", "output")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    CHILD_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    child_workflow_name: str
    child_run_id: str
    output: bytes
    def __init__(self, step_id: _Optional[str] = ..., child_workflow_name: _Optional[str] = ..., child_run_id: _Optional[str] = ..., output: _Optional[bytes] = ...) -> None: ...

class ChildWorkflowFailedAttributes(_message.Message):
    __slots__ = ("step_id", "child_workflow_name", "child_run_id", "failure")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    CHILD_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    child_workflow_name: str
    child_run_id: str
    failure: Failure
    def __init__(self, step_id: _Optional[str] = ..., child_workflow_name: _Optional[str] = ..., child_run_id: _Optional[str] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class MarkerRecordedAttributes(_message.Message):
    __slots__ = ("patch_id", "deprecated")
    PATCH_ID_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    patch_id: str
    deprecated: bool
    def __init__(self, patch_id: _Optional[str] = ..., deprecated: _Optional[bool] = ...) -> None: ...

class UpdateAcceptedAttributes(_message.Message):
    __slots__ = ("update_id", "update_name", "input")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    update_name: str
    input: bytes
    def __init__(self, update_id: _Optional[str] = ..., update_name: _Optional[str] = ..., input: _Optional[bytes] = ...) -> None: ...

class UpdateCompletedAttributes(_message.Message):
    __slots__ = ("update_id", "update_name", "output", "failure")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_NAME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    update_name: str
    output: bytes
    failure: Failure
    def __init__(self, update_id: _Optional[str] = ..., update_name: _Optional[str] = ..., output: _Optional[bytes] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ...) -> None: ...

class LocalActivityRecordedAttributes(_message.Message):
    __slots__ = ("step_id", "activity_name", "output", "failure", "attempts", "backoff")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    activity_name: str
    output: bytes
    failure: Failure
    attempts: int
    backoff: float
    def __init__(self, step_id: _Optional[str] = ..., activity_name: _Optional[str] = ..., output: _Optional[bytes] = ..., failure: _Optional[_Union[Failure, _Mapping]] = ..., attempts: _Optional[int] = ..., backoff: _Optional[float] = ...) -> None: ...

class SearchAttributesUpsertedAttributes(_message.Message):
    __slots__ = ("search_attributes", "upsert_id")
    class SearchAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: SearchValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[SearchValue, _Mapping]] = ...) -> None: ...
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    UPSERT_ID_FIELD_NUMBER: _ClassVar[int]
    search_attributes: _containers.MessageMap[str, SearchValue]
    upsert_id: str
    def __init__(self, search_attributes: _Optional[_Mapping[str, SearchValue]] = ..., upsert_id: _Optional[str] = ...) -> None: ...
