from goblins.api.v1 import history_pb2 as _history_pb2
from goblins.api.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Hosting(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOSTING_UNKNOWN: _ClassVar[Hosting]
    HOSTING_YES: _ClassVar[Hosting]
    HOSTING_NO: _ClassVar[Hosting]
HOSTING_UNKNOWN: Hosting
HOSTING_YES: Hosting
HOSTING_NO: Hosting

class ControlResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueryRequest(_message.Message):
    __slots__ = ("run_id", "name", "input", "workflow_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    name: str
    input: bytes
    workflow_id: str
    def __init__(self, run_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[bytes] = ..., workflow_id: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("worker_id", "workflows", "activities", "running_task_ids", "sync_activities", "task_queue")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    RUNNING_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    SYNC_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    workflows: _containers.RepeatedScalarFieldContainer[str]
    activities: _containers.RepeatedScalarFieldContainer[str]
    running_task_ids: _containers.RepeatedScalarFieldContainer[str]
    sync_activities: _containers.RepeatedScalarFieldContainer[str]
    task_queue: str
    def __init__(self, worker_id: _Optional[str] = ..., workflows: _Optional[_Iterable[str]] = ..., activities: _Optional[_Iterable[str]] = ..., running_task_ids: _Optional[_Iterable[str]] = ..., sync_activities: _Optional[_Iterable[str]] = ..., task_queue: _Optional[str] = ...) -> None: ...

class Credit(_message.Message):
    __slots__ = ("activities", "workflows", "sync_activities")
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    SYNC_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    activities: int
    workflows: int
    sync_activities: int
    def __init__(self, activities: _Optional[int] = ..., workflows: _Optional[int] = ..., sync_activities: _Optional[int] = ...) -> None: ...

class WorkerMessage(_message.Message):
    __slots__ = ("hello", "reports", "credit")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    reports: _containers.RepeatedCompositeFieldContainer[_task_pb2.Report]
    credit: Credit
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., reports: _Optional[_Iterable[_Union[_task_pb2.Report, _Mapping]]] = ..., credit: _Optional[_Union[Credit, _Mapping]] = ...) -> None: ...

class ServerMessage(_message.Message):
    __slots__ = ("tasks", "acked", "cancelled")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    ACKED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.Task]
    acked: _containers.RepeatedScalarFieldContainer[str]
    cancelled: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_task_pb2.Task, _Mapping]]] = ..., acked: _Optional[_Iterable[str]] = ..., cancelled: _Optional[_Iterable[str]] = ...) -> None: ...

class StartWorkflowResponse(_message.Message):
    __slots__ = ("run_id", "existed", "workflow_id", "already_started")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EXISTED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    ALREADY_STARTED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    existed: bool
    workflow_id: str
    already_started: bool
    def __init__(self, run_id: _Optional[str] = ..., existed: _Optional[bool] = ..., workflow_id: _Optional[str] = ..., already_started: _Optional[bool] = ...) -> None: ...

class GetResultRequest(_message.Message):
    __slots__ = ("run_id", "wait", "started", "workflow_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    wait: float
    started: bool
    workflow_id: str
    def __init__(self, run_id: _Optional[str] = ..., wait: _Optional[float] = ..., started: _Optional[bool] = ..., workflow_id: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("run_id", "after_seq", "page_size", "page_token", "workflow_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    after_seq: int
    page_size: int
    page_token: bytes
    workflow_id: str
    def __init__(self, run_id: _Optional[str] = ..., after_seq: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[bytes] = ..., workflow_id: _Optional[str] = ...) -> None: ...

class GetHistoryResponse(_message.Message):
    __slots__ = ("found", "events", "next_page_token", "run_id")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    found: bool
    events: _containers.RepeatedCompositeFieldContainer[_history_pb2.HistoryEvent]
    next_page_token: bytes
    run_id: str
    def __init__(self, found: _Optional[bool] = ..., events: _Optional[_Iterable[_Union[_history_pb2.HistoryEvent, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ..., run_id: _Optional[str] = ...) -> None: ...

class ListWorkflowsRequest(_message.Message):
    __slots__ = ("status", "workflow_name", "limit", "page_token", "created_after", "created_before", "query")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    status: str
    workflow_name: str
    limit: int
    page_token: bytes
    created_after: float
    created_before: float
    query: str
    def __init__(self, status: _Optional[str] = ..., workflow_name: _Optional[str] = ..., limit: _Optional[int] = ..., page_token: _Optional[bytes] = ..., created_after: _Optional[float] = ..., created_before: _Optional[float] = ..., query: _Optional[str] = ...) -> None: ...

class RunInfo(_message.Message):
    __slots__ = ("run_id", "workflow_name", "status", "created_at", "finished_at", "workflow_id", "search_attributes")
    class SearchAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _history_pb2.SearchValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_history_pb2.SearchValue, _Mapping]] = ...) -> None: ...
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    workflow_name: str
    status: str
    created_at: float
    finished_at: float
    workflow_id: str
    search_attributes: _containers.MessageMap[str, _history_pb2.SearchValue]
    def __init__(self, run_id: _Optional[str] = ..., workflow_name: _Optional[str] = ..., status: _Optional[str] = ..., created_at: _Optional[float] = ..., finished_at: _Optional[float] = ..., workflow_id: _Optional[str] = ..., search_attributes: _Optional[_Mapping[str, _history_pb2.SearchValue]] = ...) -> None: ...

class ListWorkflowsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[RunInfo]
    next_page_token: bytes
    def __init__(self, runs: _Optional[_Iterable[_Union[RunInfo, _Mapping]]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

class ListWorkersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WorkerInfo(_message.Message):
    __slots__ = ("worker_id", "workflows", "activities", "tasks_in_flight", "free_activity_slots", "free_workflow_slots", "host", "task_queue")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    TASKS_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    FREE_ACTIVITY_SLOTS_FIELD_NUMBER: _ClassVar[int]
    FREE_WORKFLOW_SLOTS_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    workflows: _containers.RepeatedScalarFieldContainer[str]
    activities: _containers.RepeatedScalarFieldContainer[str]
    tasks_in_flight: int
    free_activity_slots: int
    free_workflow_slots: int
    host: str
    task_queue: str
    def __init__(self, worker_id: _Optional[str] = ..., workflows: _Optional[_Iterable[str]] = ..., activities: _Optional[_Iterable[str]] = ..., tasks_in_flight: _Optional[int] = ..., free_activity_slots: _Optional[int] = ..., free_workflow_slots: _Optional[int] = ..., host: _Optional[str] = ..., task_queue: _Optional[str] = ...) -> None: ...

class ListWorkersResponse(_message.Message):
    __slots__ = ("workers", "transport", "missing")
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    workers: _containers.RepeatedCompositeFieldContainer[WorkerInfo]
    transport: str
    missing: str
    def __init__(self, workers: _Optional[_Iterable[_Union[WorkerInfo, _Mapping]]] = ..., transport: _Optional[str] = ..., missing: _Optional[str] = ...) -> None: ...

class DescribeWorkflowRequest(_message.Message):
    __slots__ = ("run_id", "activities", "workflow_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    activities: _containers.RepeatedScalarFieldContainer[str]
    workflow_id: str
    def __init__(self, run_id: _Optional[str] = ..., activities: _Optional[_Iterable[str]] = ..., workflow_id: _Optional[str] = ...) -> None: ...

class StepHeartbeat(_message.Message):
    __slots__ = ("step_id", "details", "time")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    details: bytes
    time: float
    def __init__(self, step_id: _Optional[str] = ..., details: _Optional[bytes] = ..., time: _Optional[float] = ...) -> None: ...

class DescribeWorkflowResponse(_message.Message):
    __slots__ = ("found", "workflow_name", "workflow_hosted", "activities_hosted", "heartbeats", "server_time", "waiting")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_HOSTED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_HOSTED_FIELD_NUMBER: _ClassVar[int]
    HEARTBEATS_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    found: bool
    workflow_name: str
    workflow_hosted: Hosting
    activities_hosted: _containers.RepeatedScalarFieldContainer[Hosting]
    heartbeats: _containers.RepeatedCompositeFieldContainer[StepHeartbeat]
    server_time: float
    waiting: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, found: _Optional[bool] = ..., workflow_name: _Optional[str] = ..., workflow_hosted: _Optional[_Union[Hosting, str]] = ..., activities_hosted: _Optional[_Iterable[_Union[Hosting, str]]] = ..., heartbeats: _Optional[_Iterable[_Union[StepHeartbeat, _Mapping]]] = ..., server_time: _Optional[float] = ..., waiting: _Optional[_Iterable[str]] = ...) -> None: ...

class ClusterInfo(_message.Message):
    __slots__ = ("transport", "bootstrap_servers", "tasks_topic", "events_topic", "partitions", "worker_group", "kafka_settings")
    class KafkaSettingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    BOOTSTRAP_SERVERS_FIELD_NUMBER: _ClassVar[int]
    TASKS_TOPIC_FIELD_NUMBER: _ClassVar[int]
    EVENTS_TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    WORKER_GROUP_FIELD_NUMBER: _ClassVar[int]
    KAFKA_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    transport: str
    bootstrap_servers: str
    tasks_topic: str
    events_topic: str
    partitions: int
    worker_group: str
    kafka_settings: _containers.ScalarMap[str, str]
    def __init__(self, transport: _Optional[str] = ..., bootstrap_servers: _Optional[str] = ..., tasks_topic: _Optional[str] = ..., events_topic: _Optional[str] = ..., partitions: _Optional[int] = ..., worker_group: _Optional[str] = ..., kafka_settings: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ClusterInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CheckTasksRequest(_message.Message):
    __slots__ = ("tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.ActivityTask]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_task_pb2.ActivityTask, _Mapping]]] = ...) -> None: ...

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
    start: _task_pb2.StartWorkflowRequest
    result: GetResultRequest
    def __init__(self, id: _Optional[int] = ..., start: _Optional[_Union[_task_pb2.StartWorkflowRequest, _Mapping]] = ..., result: _Optional[_Union[GetResultRequest, _Mapping]] = ...) -> None: ...

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

class UpdateWorkflowResponse(_message.Message):
    __slots__ = ("rejected", "completed", "ok", "output", "failure", "run_id")
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    rejected: bool
    completed: bool
    ok: bool
    output: bytes
    failure: _history_pb2.Failure
    run_id: str
    def __init__(self, rejected: _Optional[bool] = ..., completed: _Optional[bool] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., failure: _Optional[_Union[_history_pb2.Failure, _Mapping]] = ..., run_id: _Optional[str] = ...) -> None: ...

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

class CompleteActivityRequest(_message.Message):
    __slots__ = ("task_token", "ok", "output", "failure", "heartbeat", "details")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    ok: bool
    output: bytes
    failure: _history_pb2.Failure
    heartbeat: bool
    details: bytes
    def __init__(self, task_token: _Optional[bytes] = ..., ok: _Optional[bool] = ..., output: _Optional[bytes] = ..., failure: _Optional[_Union[_history_pb2.Failure, _Mapping]] = ..., heartbeat: _Optional[bool] = ..., details: _Optional[bytes] = ...) -> None: ...

class TaskQueueConfig(_message.Message):
    __slots__ = ("name", "max_concurrent", "rate_per_second", "max_per_key", "updated_at", "reset")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    RATE_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    MAX_PER_KEY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    name: str
    max_concurrent: int
    rate_per_second: float
    max_per_key: int
    updated_at: float
    reset: bool
    def __init__(self, name: _Optional[str] = ..., max_concurrent: _Optional[int] = ..., rate_per_second: _Optional[float] = ..., max_per_key: _Optional[int] = ..., updated_at: _Optional[float] = ..., reset: _Optional[bool] = ...) -> None: ...

class TaskQueueInfo(_message.Message):
    __slots__ = ("config", "in_flight", "waiting", "workers")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    config: TaskQueueConfig
    in_flight: int
    waiting: int
    workers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, config: _Optional[_Union[TaskQueueConfig, _Mapping]] = ..., in_flight: _Optional[int] = ..., waiting: _Optional[int] = ..., workers: _Optional[_Iterable[str]] = ...) -> None: ...

class ListTaskQueuesRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListTaskQueuesResponse(_message.Message):
    __slots__ = ("queues",)
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[TaskQueueInfo]
    def __init__(self, queues: _Optional[_Iterable[_Union[TaskQueueInfo, _Mapping]]] = ...) -> None: ...

class ScheduleSpec(_message.Message):
    __slots__ = ("cron", "every", "timezone", "start_at", "end_at", "jitter", "overlap", "catchup_window", "workflow_name", "input", "execution_timeout")
    CRON_FIELD_NUMBER: _ClassVar[int]
    EVERY_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    JITTER_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    CATCHUP_WINDOW_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    cron: str
    every: float
    timezone: str
    start_at: float
    end_at: float
    jitter: float
    overlap: str
    catchup_window: float
    workflow_name: str
    input: bytes
    execution_timeout: float
    def __init__(self, cron: _Optional[str] = ..., every: _Optional[float] = ..., timezone: _Optional[str] = ..., start_at: _Optional[float] = ..., end_at: _Optional[float] = ..., jitter: _Optional[float] = ..., overlap: _Optional[str] = ..., catchup_window: _Optional[float] = ..., workflow_name: _Optional[str] = ..., input: _Optional[bytes] = ..., execution_timeout: _Optional[float] = ...) -> None: ...

class ScheduleCommandRequest(_message.Message):
    __slots__ = ("schedule_id", "command", "spec", "paused", "note", "overlap", "backfill_start", "backfill_end")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_START_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_END_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    command: str
    spec: ScheduleSpec
    paused: bool
    note: str
    overlap: str
    backfill_start: float
    backfill_end: float
    def __init__(self, schedule_id: _Optional[str] = ..., command: _Optional[str] = ..., spec: _Optional[_Union[ScheduleSpec, _Mapping]] = ..., paused: _Optional[bool] = ..., note: _Optional[str] = ..., overlap: _Optional[str] = ..., backfill_start: _Optional[float] = ..., backfill_end: _Optional[float] = ...) -> None: ...

class ScheduleCommandResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeScheduleRequest(_message.Message):
    __slots__ = ("schedule_id",)
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    def __init__(self, schedule_id: _Optional[str] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScheduleAction(_message.Message):
    __slots__ = ("scheduled_time", "actual_time", "workflow_id", "run_id", "status", "error")
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_TIME_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    scheduled_time: float
    actual_time: float
    workflow_id: str
    run_id: str
    status: str
    error: str
    def __init__(self, scheduled_time: _Optional[float] = ..., actual_time: _Optional[float] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., status: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class ScheduleInfo(_message.Message):
    __slots__ = ("schedule_id", "spec", "paused", "note", "recent", "next_times", "actions", "skipped", "missed", "buffered", "running", "created_at")
    SCHEDULE_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    NEXT_TIMES_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    MISSED_FIELD_NUMBER: _ClassVar[int]
    BUFFERED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    schedule_id: str
    spec: ScheduleSpec
    paused: bool
    note: str
    recent: _containers.RepeatedCompositeFieldContainer[ScheduleAction]
    next_times: _containers.RepeatedScalarFieldContainer[float]
    actions: int
    skipped: int
    missed: int
    buffered: _containers.RepeatedScalarFieldContainer[float]
    running: _containers.RepeatedScalarFieldContainer[str]
    created_at: float
    def __init__(self, schedule_id: _Optional[str] = ..., spec: _Optional[_Union[ScheduleSpec, _Mapping]] = ..., paused: _Optional[bool] = ..., note: _Optional[str] = ..., recent: _Optional[_Iterable[_Union[ScheduleAction, _Mapping]]] = ..., next_times: _Optional[_Iterable[float]] = ..., actions: _Optional[int] = ..., skipped: _Optional[int] = ..., missed: _Optional[int] = ..., buffered: _Optional[_Iterable[float]] = ..., running: _Optional[_Iterable[str]] = ..., created_at: _Optional[float] = ...) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules",)
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[ScheduleInfo]
    def __init__(self, schedules: _Optional[_Iterable[_Union[ScheduleInfo, _Mapping]]] = ...) -> None: ...

class CountWorkflowsRequest(_message.Message):
    __slots__ = ("query",)
    QUERY_FIELD_NUMBER: _ClassVar[int]
    query: str
    def __init__(self, query: _Optional[str] = ...) -> None: ...

class CountWorkflowsResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class SearchAttributesRequest(_message.Message):
    __slots__ = ("name", "type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class SearchAttributesResponse(_message.Message):
    __slots__ = ("attributes",)
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...
