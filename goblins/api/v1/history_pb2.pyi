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
    __slots__ = ("run_id", "seq", "type", "workflow_name", "activity_name", "step_id", "attempt", "max_attempts", "input", "output", "error", "error_type", "timestamp", "retry_at", "retry_policy", "start_to_close_timeout", "fire_at", "signal_name", "child_run_id", "parent_run_id", "execution_timeout", "heartbeat_timeout", "schedule_to_close_timeout", "heartbeat_details", "continued_as", "signal_id", "parent_step_id", "stack_trace", "non_retryable", "error_details")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_NAME_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
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
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    STACK_TRACE_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DETAILS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    seq: int
    type: str
    workflow_name: str
    activity_name: str
    step_id: str
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
    signal_id: str
    parent_step_id: str
    stack_trace: str
    non_retryable: bool
    error_details: bytes
    def __init__(self, run_id: _Optional[str] = ..., seq: _Optional[int] = ..., type: _Optional[str] = ..., workflow_name: _Optional[str] = ..., activity_name: _Optional[str] = ..., step_id: _Optional[str] = ..., attempt: _Optional[int] = ..., max_attempts: _Optional[int] = ..., input: _Optional[bytes] = ..., output: _Optional[bytes] = ..., error: _Optional[str] = ..., error_type: _Optional[str] = ..., timestamp: _Optional[float] = ..., retry_at: _Optional[float] = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., start_to_close_timeout: _Optional[float] = ..., fire_at: _Optional[float] = ..., signal_name: _Optional[str] = ..., child_run_id: _Optional[str] = ..., parent_run_id: _Optional[str] = ..., execution_timeout: _Optional[float] = ..., heartbeat_timeout: _Optional[float] = ..., schedule_to_close_timeout: _Optional[float] = ..., heartbeat_details: _Optional[bytes] = ..., continued_as: _Optional[str] = ..., signal_id: _Optional[str] = ..., parent_step_id: _Optional[str] = ..., stack_trace: _Optional[str] = ..., non_retryable: _Optional[bool] = ..., error_details: _Optional[bytes] = ...) -> None: ...
