"""Authentication and roles: who is calling, and what their role lets them do.

An :class:`Authorizer` turns a call's metadata and its peer's TLS identity into a
:class:`Principal` (or refuses it, :class:`Unauthenticated`); :class:`StaticTokens`, the one
implementation shipped, reads them from a TOML file (``goblins server --auth FILE``).
``RPCS`` says which permission each RPC needs and ``ROLES`` which permissions each role holds.

The gRPC interceptor (:class:`AuthInterceptor`) authenticates every call and checks its RPC's
permission before the handler runs; it leaves the principal in a context variable, where the
handlers refine the check per request (a ClientSession carries starts and result waits; Cancel
may terminate; a worker registers names) with :func:`require` and :func:`require_names`.
Without an authorizer no interceptor is installed and every check here passes: the server is
open, as before.
"""

from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import hmac
import logging
import pathlib
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import grpc

from goblins.errors import PermissionDenied, Unauthenticated

log = logging.getLogger("goblins.server")

# ---- roles and permissions ----

PERMISSIONS: dict[str, str] = {
    # permission: what it lets a caller do (the words of a refusal)
    "start": "start workflows",
    "result": "read results",
    "signal": "signal runs",
    "query": "query runs",
    "update": "update runs",
    "cancel": "cancel runs",
    "complete_activity": "complete, fail or heartbeat activities by task token",
    "terminate": "terminate runs",
    "history": "read histories",
    "describe": "describe runs",
    "list": "list runs and connected workers",
    "configure_queues": "configure task queues",
    "connect": "connect as a worker",
    "register": "register workflows and activities",
    "check_tasks": "check activity tasks",
    "answer_query": "answer queries",
    "cluster_info": "read the cluster's transport settings",
    "schedule": "create, change and delete schedules",
}

_CLIENT = frozenset(
    {
        "start",
        "result",
        "signal",
        "query",
        "update",
        "cancel",
        "terminate",
        "history",
        "describe",
        "list",
        "complete_activity",
        "schedule",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "client": _CLIENT,
    "reader": frozenset({"result", "query", "history", "describe", "list"}),
    # A worker reads histories: a workflow task's later pages, and a replay for a query.
    "worker": frozenset({"connect", "register", "check_tasks", "answer_query", "cluster_info", "history"}),
}

# Every RPC of the Goblins service (proto/goblins/api/v1/service.proto) and the permissions any
# of which admits it. Two are refined per request by their handler: ClientSession, request by
# request (CLIENT_REQUESTS); Cancel, "terminate" when the request terminates; StartWorkflow,
# also "signal" for a signal-with-start. An RPC missing
# here is refused to everyone (and fails tests/unit/test_auth.py).
RPCS: dict[str, frozenset[str]] = {
    "StartWorkflow": frozenset({"start"}),
    "GetResult": frozenset({"result"}),
    "GetHistory": frozenset({"history"}),
    "DescribeWorkflow": frozenset({"describe"}),
    "ListWorkflows": frozenset({"list"}),
    "Connect": frozenset({"connect"}),
    "GetClusterInfo": frozenset({"cluster_info"}),
    "Signal": frozenset({"signal"}),
    "Cancel": frozenset({"cancel", "terminate"}),
    "Query": frozenset({"query"}),
    "UpdateWorkflow": frozenset({"update"}),
    "AnswerQuery": frozenset({"answer_query"}),
    "Register": frozenset({"register"}),
    "CheckTasks": frozenset({"check_tasks"}),
    "ClientSession": frozenset({"start", "result"}),
    "ListWorkers": frozenset({"list"}),
    "CompleteActivity": frozenset({"complete_activity"}),
    "SetTaskQueue": frozenset({"configure_queues"}),
    "ListTaskQueues": frozenset({"list"}),
    "CountWorkflows": frozenset({"list"}),
    "SearchAttributes": frozenset({"list"}),
    "ResetWorkflow": frozenset({"terminate"}),  # it ends the run it resets
    "ScheduleCommand": frozenset({"schedule"}),
    "DescribeSchedule": frozenset({"describe"}),
    "ListSchedules": frozenset({"list"}),
}

# The kinds of request a ClientSession stream carries (ClientRequest.kind) and their permission.
CLIENT_REQUESTS: dict[str, str] = {"start": "start", "result": "result"}


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling: a ``name`` (for logs and refusals), a ``role`` (a key of ``ROLES``) and,
    for a worker, the workflow and activity names it may register (``None``: any)."""

    name: str
    role: str
    workflows: frozenset[str] | None = None
    activities: frozenset[str] | None = None

    def may(self, permission: str) -> bool:
        return permission in ROLES.get(self.role, ())

    def refusal(self, what: str) -> PermissionDenied:
        return PermissionDenied(f"permission denied: {self.name!r} (role {self.role}) may not {what}")


@dataclasses.dataclass(frozen=True)
class Caller:
    """What the server knows of a call before it runs: what an :class:`Authorizer` decides on."""

    token: str | None
    """The bearer token of its ``authorization: Bearer <token>`` metadata (None: none sent)."""
    metadata: Mapping[str, str]
    """All its (text) metadata, keys lower-case: where a JWT authorizer finds other claims."""
    subjects: tuple[str, ...]
    """Under mutual TLS, its client certificate's subject and common name(s) (see ``subjects_of``)."""


class Authorizer(Protocol):
    """The seam for authentication: given a call, who makes it.

    ``authenticate`` returns the caller's :class:`Principal` or raises
    :class:`~goblins.errors.Unauthenticated` with a one-line reason; the server then checks the
    principal's role against the RPC. It runs on the server's event loop for every call, so it
    must not block: a JWT/OIDC implementation verifies the token's signature locally against
    keys it fetched beforehand (and refreshes in the background), maps a claim (``sub``) to the
    name and another (``role``, or a group) to a role, and caches what it decided per token
    until the token expires. Pass one as ``Server(authorizer=...)``.
    """

    def authenticate(self, caller: Caller) -> Principal: ...


def subjects_of(auth_context: Mapping[str, Iterable[bytes]]) -> tuple[str, ...]:
    """The identities of a mutual-TLS peer, from ``ServicerContext.auth_context()``: its
    certificate's subject (``x509_subject``) and common name(s) (``x509_common_name``); none
    without a client certificate."""
    found: list[str] = []
    for key in ("x509_subject", "x509_common_name"):
        for value in auth_context.get(key, ()):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            if text and text not in found:
                found.append(text)
    return tuple(found)


def bearer_token(metadata: Mapping[str, str]) -> str | None:
    """The token of an ``authorization: Bearer <token>`` entry; None when there is none; an
    Unauthenticated for an authorization of another shape."""
    value = metadata.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("unauthenticated: the authorization metadata must be 'Bearer <token>'")
    return token.strip()


def token_sha256(token: str) -> str:
    """The hex SHA-256 of a token, as the auth file stores it."""
    return hashlib.sha256(token.encode()).hexdigest()


# ---- the current call's principal, for the per-request checks of the handlers ----

_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("goblins_principal", default=None)


def require(permission: str) -> None:
    """Raise PermissionDenied unless the current call's principal holds ``permission`` (always
    passes on a server without authentication, and in process)."""
    principal = _current.get()
    if principal is not None and not principal.may(permission):
        raise principal.refusal(PERMISSIONS.get(permission, permission))


def require_request(kind: str) -> None:
    """``require`` for one request of a ClientSession stream, by its kind (``CLIENT_REQUESTS``;
    a kind missing there is refused to everyone while authentication is on)."""
    permission = CLIENT_REQUESTS.get(kind)
    principal = _current.get()
    if principal is not None and permission is None:
        raise PermissionDenied(f"permission denied: no permission covers client request {kind!r}")
    if permission is not None:
        require(permission)


def require_names(workflows: Sequence[str], activities: Sequence[str]) -> None:
    """Raise PermissionDenied if the current call's principal is a worker limited to some names
    and ``workflows`` or ``activities`` holds another."""
    principal = _current.get()
    if principal is None:
        return
    for kind, asked, allowed in (
        ("workflow", workflows, principal.workflows),
        ("activity", activities, principal.activities),
    ):
        if allowed is None:
            continue
        extra = sorted(set(asked) - allowed)
        if extra:
            listed = ", ".join(sorted(allowed)) or "none"
            raise principal.refusal(f"register {kind} {extra[0]!r} (its {kind} names: {listed})")


# ---- the server interceptor ----

Behavior = Callable[..., Any]


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates every call with ``authorizer`` and checks its RPC's permission (``RPCS``):
    UNAUTHENTICATED or PERMISSION_DENIED with one line saying why, else the handler runs with
    the principal in the context (see :func:`require`)."""

    def __init__(self, authorizer: Authorizer) -> None:
        self.authorizer = authorizer
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            handler = await continuation(handler_call_details)
            if handler is None:
                return handler
            wrapped = self._wrapped[method] = self._wrap(method.rsplit("/", 1)[-1], handler)
        return wrapped

    def admit(self, rpc: str, context: grpc.aio.ServicerContext) -> Principal:
        """The principal of a call to ``rpc``; raises Unauthenticated or PermissionDenied."""
        metadata = {k.lower(): v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        token = bearer_token(metadata)
        subjects = () if token is not None else subjects_of(context.auth_context())
        principal = self.authorizer.authenticate(Caller(token, metadata, subjects))
        needed = RPCS.get(rpc, frozenset())
        if not any(principal.may(p) for p in needed):
            what = " or ".join(PERMISSIONS[p] for p in sorted(needed)) or f"call {rpc}"
            raise principal.refusal(what)
        return principal

    def _refusal(self, rpc: str, context: grpc.aio.ServicerContext) -> tuple[grpc.StatusCode, str] | None:
        """None when the call may go on (its principal is then current), else the status to end it with."""
        try:
            principal = self.admit(rpc, context)
        except (Unauthenticated, PermissionDenied) as exc:
            code = (
                grpc.StatusCode.UNAUTHENTICATED
                if isinstance(exc, Unauthenticated)
                else grpc.StatusCode.PERMISSION_DENIED
            )
            log.info("refused %s from %s: %s", rpc, context.peer(), exc)
            return code, str(exc)
        except Exception as exc:  # a bug in the authorizer: refuse, never let the call through
            log.error("authorizer failed on %s", rpc, exc_info=exc)
            return grpc.StatusCode.INTERNAL, f"internal error: the authorizer failed: {exc}"
        _current.set(principal)  # the handler runs in this task: it (and tasks it starts) sees it
        return None

    async def _admitted(self, rpc: str, context: grpc.aio.ServicerContext) -> None:
        refusal = self._refusal(rpc, context)
        if refusal is not None:
            await context.abort(*refusal)

    def _wrap(self, rpc: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        if handler.unary_unary is not None:
            unary: Behavior = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                await self._admitted(rpc, context)
                return await unary(request, context)

            return handler._replace(unary_unary=unary_unary)  # type: ignore[attr-defined,no-any-return]
        if handler.stream_unary is not None:
            stream_in: Behavior = handler.stream_unary

            async def stream_unary(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
                await self._admitted(rpc, context)
                return await stream_in(requests, context)

            return handler._replace(stream_unary=stream_unary)  # type: ignore[attr-defined,no-any-return]
        streaming: Behavior = handler.stream_stream or handler.unary_stream
        field = "stream_stream" if handler.stream_stream is not None else "unary_stream"

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            refusal = self._refusal(rpc, context)
            if refusal is not None:
                # Ended with a status, not context.abort(): an abort raised inside a response
                # generator before its first message was seen once to reach the caller as INTERNAL.
                context.set_code(refusal[0])
                context.set_details(refusal[1])
                return
            async for response in streaming(request, context):
                yield response

        return handler._replace(**{field: stream})  # type: ignore[attr-defined,no-any-return]


# ---- static tokens from a TOML file ----

ENTRY_KEYS = ("name", "role", "token_sha256", "subject", "workflows", "activities")


class AuthFileError(ValueError):
    """An auth file that cannot be used: which file, which entry, which key, what was expected."""


@dataclasses.dataclass(frozen=True)
class _Entry:
    principal: Principal
    token_sha256: bytes | None
    subject: str | None


def parse_entry(raw: object, where: str) -> _Entry:
    """One ``[[principal]]`` table, checked; AuthFileError naming ``where`` and the key."""
    if not isinstance(raw, dict):
        raise AuthFileError(f"{where}: expected a table ([[principal]]), got {raw!r}")
    unknown = sorted(set(raw) - set(ENTRY_KEYS))
    if unknown:
        raise AuthFileError(f"{where}: unknown key {unknown[0]!r}: expected {', '.join(ENTRY_KEYS)}")

    def text(key: str, required: bool = True) -> str | None:
        value = raw.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            got = "nothing" if value is None else repr(value)
            raise AuthFileError(f"{where}: key {key!r}: expected a non-empty string, got {got}")
        return value

    name = text("name")
    assert name is not None
    where = f"{where} ({name!r})"
    role = text("role")
    if role not in ROLES:
        raise AuthFileError(f"{where}: key 'role': expected one of {', '.join(ROLES)}, got {role!r}")
    digest, subject = text("token_sha256", False), text("subject", False)
    if (digest is None) == (subject is None):
        raise AuthFileError(f"{where}: expected exactly one of 'token_sha256' and 'subject'")
    hashed = None
    if digest is not None:
        try:
            hashed = bytes.fromhex(digest)
        except ValueError:
            hashed = b""
        if len(hashed) != 32:
            raise AuthFileError(
                f"{where}: key 'token_sha256': expected 64 hex digits (a SHA-256; make entries with "
                f"`goblins auth add-token`), got {digest!r}"
            )
    names: dict[str, frozenset[str] | None] = {}
    for key in ("workflows", "activities"):
        value = raw.get(key)
        if value is not None and role != "worker":
            raise AuthFileError(f"{where}: key {key!r}: only a 'worker' entry lists names, this one is {role!r}")
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)):
            raise AuthFileError(f"{where}: key {key!r}: expected a list of names, got {value!r}")
        names[key] = None if value is None else frozenset(value)
    principal = Principal(name, role, names["workflows"], names["activities"])
    return _Entry(principal, hashed, subject)


class StaticTokens:
    """An :class:`Authorizer` over a fixed list of principals, each known by a token (stored as
    its SHA-256, compared in constant time) or a client certificate subject (mutual TLS).

    The TOML file holds ``[[principal]]`` tables with ``name``, ``role`` (admin, client, reader,
    worker), one of ``token_sha256`` and ``subject``, and for a worker optionally ``workflows``
    and ``activities`` (the only names it may register). ``goblins auth add-token`` writes them.
    """

    def __init__(self, entries: Sequence[_Entry], source: str = "auth file") -> None:
        self.source = source
        self._tokens = [(e.token_sha256, e.principal) for e in entries if e.token_sha256 is not None]
        self._subjects = {e.subject: e.principal for e in entries if e.subject is not None}

    @classmethod
    def load(cls, path: str | pathlib.Path) -> StaticTokens:
        """The principals of the TOML file at ``path``; AuthFileError if it cannot be used."""
        return cls(read_entries(path), str(path))

    def authenticate(self, caller: Caller) -> Principal:
        if caller.token is not None:
            digest = hashlib.sha256(caller.token.encode()).digest()
            found = None
            for stored, principal in self._tokens:  # every entry compared: no early exit to time
                if hmac.compare_digest(stored, digest):
                    found = principal
            if found is None:
                raise Unauthenticated("unauthenticated: the token is not one this server knows")
            return found
        for subject in caller.subjects:
            if subject in self._subjects:
                return self._subjects[subject]
        if caller.subjects:
            raise Unauthenticated(
                f"unauthenticated: client certificate {caller.subjects[0]!r} is not in the server's auth file"
            )
        raise Unauthenticated("unauthenticated: this server requires a token (set GOBLINS_TOKEN, or pass token=)")


def read_entries(path: str | pathlib.Path) -> list[_Entry]:
    """The checked entries of an auth file (empty for an empty file)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise AuthFileError(f"auth file {str(path)!r}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AuthFileError(f"auth file {str(path)!r} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"principal"})
    if unknown:
        raise AuthFileError(f"auth file {str(path)!r}: unknown key {unknown[0]!r}: expected [[principal]] tables")
    raw = data.get("principal", [])
    if not isinstance(raw, list):
        raise AuthFileError(f"auth file {str(path)!r}: 'principal' must be [[principal]] tables")
    entries = [parse_entry(item, f"auth file {str(path)!r}, principal #{i}") for i, item in enumerate(raw, 1)]
    seen: dict[object, int] = {}
    for i, entry in enumerate(entries, 1):
        key = entry.token_sha256 or entry.subject
        if key in seen:
            what = "token" if entry.token_sha256 else f"subject {entry.subject!r}"
            raise AuthFileError(
                f"auth file {str(path)!r}, principal #{i} ({entry.principal.name!r}): the same {what} "
                f"as principal #{seen[key]}"
            )
        seen[key] = i
    return entries
