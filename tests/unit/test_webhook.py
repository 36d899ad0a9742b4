"""Signed webhooks (grid/webhook.py): the signature a receiver checks with `verify`, and
`deliver` POSTing to a real HTTP server on loopback: the exact body, a fresh signature on
every attempt, retries with back-off (a recording `sleep`, so no test waits), and why it
failed when it did."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from iguazu.grid import webhook

SECRET = "s3cret-for-the-receiver"
BODY = b'{"id": "sub-1", "state": "GRADED", "score": 60.0, "learner": "\xe5\xad\xa6"}'
AT = 1_764_100_000


# -- sign and verify ----------------------------------------------------------------------


def test_a_signature_verifies_with_the_same_secret_body_and_time() -> None:
    header = webhook.sign(SECRET, BODY, AT)
    assert header.startswith(f"t={AT},v1=")
    assert webhook.verify(SECRET, header, BODY, now=AT)
    assert webhook.verify(SECRET, webhook.sign(SECRET, BODY), BODY)  # signed now, checked now


def test_a_changed_body_is_refused() -> None:
    header = webhook.sign(SECRET, BODY, AT)
    assert not webhook.verify(SECRET, header, BODY.replace(b"60.0", b"100.0"), now=AT)
    assert not webhook.verify(SECRET, header, BODY + b" ", now=AT)
    assert not webhook.verify(SECRET, header, b"", now=AT)


def test_a_wrong_secret_is_refused() -> None:
    header = webhook.sign("someone-else", BODY, AT)
    assert not webhook.verify(SECRET, header, BODY, now=AT)


def test_a_changed_timestamp_is_refused() -> None:
    mac = webhook.sign(SECRET, BODY, AT).partition("v1=")[2]
    assert not webhook.verify(SECRET, f"t={AT + 1},v1={mac}", BODY, now=AT)


def test_a_signature_is_accepted_within_the_tolerance_and_refused_outside_it() -> None:
    header = webhook.sign(SECRET, BODY, AT)
    tolerance = webhook.TOLERANCE
    assert webhook.verify(SECRET, header, BODY, now=AT + tolerance)
    assert webhook.verify(SECRET, header, BODY, now=AT - tolerance)
    assert not webhook.verify(SECRET, header, BODY, now=AT + tolerance + 1)  # a replay
    assert not webhook.verify(SECRET, header, BODY, now=AT - tolerance - 1)  # from the future
    assert webhook.verify(SECRET, header, BODY, now=AT + 3600, tolerance=3600)
    assert not webhook.verify(SECRET, header, BODY, now=AT + 11, tolerance=10)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "t=,v1=",
        f"t={AT}",  # no signature
        "v1=" + "0" * 64,  # no time
        f"t=-{AT},v1=" + "0" * 64,
        f"t={AT}.5,v1=" + "0" * 64,
        "t=soon,v1=" + "0" * 64,
        f"t={AT},v1=" + "0" * 64,  # well formed, but not the signature
        f"t={AT};v1=",
    ],
)
def test_a_malformed_or_forged_header_is_refused(header: str) -> None:
    assert not webhook.verify(SECRET, header, BODY, now=AT)


# -- deliver to a real receiver -----------------------------------------------------------


@dataclass
class Received:
    body: bytes
    signature: str
    content_type: str


@dataclass
class Receiver:
    """A local HTTP server answering each POST with the next status of `statuses` (the last
    one from then on), recording what it was sent."""

    url: str
    statuses: list[int]
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    hang: bool = False


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    servers: list[tuple[ThreadingHTTPServer, Receiver]] = []

    def start(*statuses: int, hang: bool = False) -> Receiver:
        state = Receiver(url="", statuses=list(statuses), hang=hang)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                state.received.append(
                    Received(
                        body=body,
                        signature=self.headers.get(webhook.HEADER, ""),
                        content_type=self.headers.get("Content-Type", ""),
                    )
                )
                if state.hang:
                    state.release.wait(30)
                    return
                index = min(len(state.received), len(state.statuses)) - 1
                self.send_response(state.statuses[index])
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/iguazu"
        servers.append((server, state))
        return state

    yield start
    for server, state in servers:
        state.release.set()
        server.shutdown()
        server.server_close()


class Sleeps:
    """Stands in for time.sleep: notes each back-off instead of waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def test_a_2xx_receiver_gets_the_exact_body_with_a_signature_it_accepts(
    receiver: Callable[..., Receiver],
) -> None:
    hook = receiver(200)
    sleeps = Sleeps()
    assert webhook.deliver(hook.url, BODY, SECRET, private_hosts=True, sleep=sleeps) == "delivered"
    [got] = hook.received
    assert got.body == BODY
    assert got.content_type == "application/json"
    assert webhook.verify(SECRET, got.signature, got.body)
    assert not webhook.verify("another-secret", got.signature, got.body)
    assert sleeps.seconds == []  # the first attempt is made at once


def test_any_2xx_counts_as_delivered(receiver: Callable[..., Receiver]) -> None:
    hook = receiver(204)
    assert (
        webhook.deliver(hook.url, BODY, SECRET, private_hosts=True, sleep=Sleeps()) == "delivered"
    )
    assert len(hook.received) == 1


def test_a_receiver_failing_twice_gets_it_on_the_third_attempt_each_signed_anew(
    receiver: Callable[..., Receiver],
) -> None:
    hook = receiver(500, 500, 200)
    sleeps = Sleeps()
    assert webhook.deliver(hook.url, BODY, SECRET, private_hosts=True, sleep=sleeps) == "delivered"
    assert len(hook.received) == 3
    assert sleeps.seconds == list(webhook.DELAYS[:2])  # backed off before each retry
    for got in hook.received:
        assert got.body == BODY
        assert webhook.verify(SECRET, got.signature, got.body)


def test_zero_delays_retry_without_sleeping(receiver: Callable[..., Receiver]) -> None:
    hook = receiver(500, 500, 200)
    sleeps = Sleeps()
    status = webhook.deliver(
        hook.url, BODY, SECRET, private_hosts=True, delays=(0.0, 0.0, 0.0), sleep=sleeps
    )
    assert status == "delivered"
    assert len(hook.received) == 3
    assert sleeps.seconds == []


def test_a_receiver_that_always_fails_is_given_up_saying_why(
    receiver: Callable[..., Receiver],
) -> None:
    hook = receiver(500)
    sleeps = Sleeps()
    status = webhook.deliver(hook.url, BODY, SECRET, private_hosts=True, sleep=sleeps)
    attempts = len(webhook.DELAYS) + 1
    assert status == f"failed: HTTP 500 (after {attempts} attempts)"
    assert len(hook.received) == attempts
    assert sleeps.seconds == list(webhook.DELAYS)
    assert all(webhook.verify(SECRET, got.signature, BODY) for got in hook.received)


def test_the_last_attempts_answer_is_the_reason(receiver: Callable[..., Receiver]) -> None:
    hook = receiver(500, 404)
    status = webhook.deliver(
        hook.url, BODY, SECRET, private_hosts=True, delays=(0.0, 0.0), sleep=Sleeps()
    )
    assert status == "failed: HTTP 404 (after 3 attempts)"
    assert len(hook.received) == 3


def test_a_redirect_is_not_followed_nor_counted_as_delivered(
    receiver: Callable[..., Receiver],
) -> None:
    hook = receiver(302)
    status = webhook.deliver(hook.url, BODY, SECRET, private_hosts=True, delays=(), sleep=Sleeps())
    assert status.startswith("failed: HTTP 302 (after 1 attempt")


def test_a_closed_port_fails_with_the_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    status = webhook.deliver(
        f"http://127.0.0.1:{port}/hook",
        BODY,
        SECRET,
        delays=(0.0, 0.0, 0.0),
        sleep=sleeps,
        private_hosts=True,
    )
    assert status.startswith("failed: ConnectError")
    assert status.endswith("(after 4 attempts)")


def test_a_receiver_that_never_answers_fails_with_a_timeout(
    receiver: Callable[..., Receiver],
) -> None:
    hook = receiver(200, hang=True)
    status = webhook.deliver(
        hook.url, BODY, SECRET, private_hosts=True, delays=(), timeout=0.2, sleep=Sleeps()
    )
    assert status.startswith("failed: ReadTimeout")
    assert "(after 1 attempt" in status
    assert [got.body for got in hook.received] == [BODY]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
    ],
)
def test_a_webhook_to_our_own_network_is_refused_unless_allowed(
    receiver: Callable[..., Receiver], url: str
) -> None:
    """Without webhook_private_hosts nothing is sent to loopback, private or link-local
    addresses (names resolved first), and nothing is retried: the receiver sees no request."""
    hook = receiver(200)
    port = hook.url.split(":")[2].split("/")[0]
    sleeps = Sleeps()
    status = webhook.deliver(url.format(port=port), BODY, SECRET, sleep=sleeps)
    assert status.startswith("refused: ") and "not a public address" in status, status
    assert sleeps.seconds == [] and hook.received == []
    if url.startswith("http://127.0.0.1"):  # the same receiver, allowed
        allowed = webhook.deliver(url.format(port=port), BODY, SECRET, private_hosts=True)
        assert allowed == "delivered" and len(hook.received) == 1


def test_the_address_checked_is_the_address_connected_to(
    receiver: Callable[..., Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS is a boundary this machine cannot serve (no resolver of ours answers for made-up
    names), so the resolver is replaced: the first lookup of `rebind.example` answers a
    public address, any later one loopback (DNS rebinding), and the IDNA name `faß.example`
    is known only under its ASCII form. The webhook must connect to the address it checked,
    looked up under the name it connects to: the loopback receiver sees nothing."""
    hook = receiver(200)
    port = int(hook.url.split(":")[2].split("/")[0])
    real = socket.getaddrinfo
    asked: list[str] = []

    def resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(name)
        if name == "rebind.example":
            first = asked.count(name) == 1
            return real("93.184.216.34" if first else "127.0.0.1", *args, **kwargs)
        if name == "xn--fa-hia.example":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    rebound = webhook.deliver(f"http://rebind.example:{port}/x", BODY, SECRET, delays=(),
                              timeout=1.0, sleep=Sleeps())  # fmt: skip
    assert rebound.startswith("failed: ") and hook.received == []  # not reached: 93.184...
    idna = webhook.deliver(f"http://faß.example:{port}/x", BODY, SECRET, delays=(), sleep=Sleeps())
    assert idna.startswith("refused: xn--fa-hia.example is 127.0.0.1") and hook.received == []
