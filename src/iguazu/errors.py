"""Every error Iguazú raises on purpose.

    IguazuError
     ├── ConfigError            settings or job modules are wrong; raised at start-up
     │    └── SandboxUnavailable  the sandbox cannot enforce its limits on this machine
     ├── InvalidRequest         the caller's input is wrong; nothing was written (HTTP 4xx)
     │    ├── UnknownJob        no job with that family and name is registered
     │    ├── InvalidParameters parameters fail the job's schema (names the field)
     │    ├── Unplaceable       the reservation fits no agent at all
     │    ├── UnknownQueue      the queue named is not configured
     │    ├── CronError         a cron expression or its time zone is wrong (names field and token)
     │    ├── MalformedJSON     the request body is not JSON (HTTP 400)
     │    ├── TooManyAttempts   sign-in failed too often for that account lately (HTTP 429)
     │    └── PayloadTooLarge   the request body is over the API's limit (HTTP 413)
     ├── NotFound               no such invocation, schedule, assignment... (HTTP 404)
     ├── Conflict               the invocation is not in a state that allows it (HTTP 409)
     ├── Unauthorized           the API token is missing or wrong (HTTP 401)
     │    └── SignInNeeded      a web page needs a signed-in person (sends them to sign in)
     ├── Forbidden              signed in, but the role does not allow it, or no CSRF token (403)
     ├── Unreachable            the Python client could not talk to the API at all
     ├── WaitTimeout            Client.wait gave up before the invocation ended (a TimeoutError)
     └── RemoteError            the API answered the Python client with an error

Each exception builds its own message; `status` is the HTTP status the API answers with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class IguazuError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(IguazuError):
    pass


class SandboxUnavailable(ConfigError):
    """The message says what is missing (root, bubblewrap, cgroups, a C compiler)."""


class InvalidRequest(IguazuError):
    status = 422


class UnknownJob(InvalidRequest):
    status = 404

    def __init__(self, family: str, name: str, near: Sequence[str] = ()) -> None:
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        super().__init__(f"unknown job {family}/{name}{hint}")
        self.family, self.name = family, name


class InvalidParameters(InvalidRequest):
    def __init__(self, job: str, errors: Sequence[Mapping[str, Any]]) -> None:
        parts = []
        for err in errors:
            where = ".".join(str(p) for p in err.get("loc", ())) or "parameters"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        super().__init__(f"parameters for {job} are invalid: " + "; ".join(parts))
        self.errors = errors


class Unplaceable(InvalidRequest):
    def __init__(self, job: str, cpu: int, memory: int, detail: str) -> None:
        super().__init__(
            f"{job} reserves {cpu} CPU units and {memory} MiB, which no agent can hold ({detail})"
        )


class UnknownQueue(InvalidRequest):
    def __init__(self, queue: str, known: list[str]) -> None:
        super().__init__(f"unknown queue {queue!r}; configured queues: {', '.join(known)}")


class CronError(InvalidRequest):
    """`problem` names the field, the token and why: "day-of-month 32 is out of range 1-31"."""

    def __init__(self, expression: str, problem: str) -> None:
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        super().__init__(f"cron expression {shown!r}: {problem}")
        self.expression = expression
        self.problem = problem


class MalformedJSON(InvalidRequest):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(f"the request body is not valid JSON: {detail}")


class PayloadTooLarge(InvalidRequest):
    status = 413

    def __init__(self, limit: int, what: str = "the request body") -> None:
        super().__init__(f"{what} is larger than the limit of {limit} bytes")


class TooManyAttempts(InvalidRequest):
    status = 429

    def __init__(self, wait: float) -> None:
        minutes = max(1, round(wait / 60))
        super().__init__(f"too many failed sign-ins: try again in {minutes} min")
        self.wait = wait


class NotFound(IguazuError):
    status = 404

    def __init__(self, ident: str, kind: str = "invocation") -> None:
        super().__init__(f"no {kind} {ident}")
        self.ident, self.kind = ident, kind


class Conflict(IguazuError):
    status = 409


class Unauthorized(IguazuError):
    status = 401

    def __init__(self, token_given: bool) -> None:
        super().__init__(
            "the API token is wrong"
            if token_given
            else "this API needs a token: send the header 'Authorization: Bearer <token>'"
        )


class SignInNeeded(Unauthorized):
    def __init__(self, next_path: str, expired: bool = False) -> None:
        IguazuError.__init__(
            self, "your session has expired: sign in again" if expired else "please sign in"
        )
        self.next_path = next_path


class Forbidden(IguazuError):
    status = 403


class Unreachable(IguazuError):
    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"cannot reach the Iguazú API at {url}: {detail}")
        self.url = url


class WaitTimeout(IguazuError, TimeoutError):
    def __init__(
        self, invocation_id: str, timeout: float, state: str, kind: str = "invocation"
    ) -> None:
        super().__init__(f"{kind} {invocation_id} is still {state} after {timeout:g} s")
        self.invocation_id = invocation_id
        self.state = state


class RemoteError(IguazuError):
    """The API refused a client's request; `status` is the HTTP status it answered and
    `error_type` the server's exception name (`UnknownJob`, ...) when it sent one."""

    def __init__(self, status: int, message: str, error_type: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.detail = message
        self.error_type = error_type
