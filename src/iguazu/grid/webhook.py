"""Signed webhooks: a graded submission's result POSTed to the URL its submitter gave.

The body is the submission as `GET /api/v1/submissions/{id}` shows it. The header

    X-Iguazu-Signature: t=1764100000,v1=<hex HMAC-SHA256 of "1764100000." + body>

signs it with the server's `webhook_secret` and the time of sending, so that a receiver can
tell it came from us and refuse a replay (`verify`, with a tolerance in seconds). Delivery is
tried a few times with back-off; a 2xx answer counts as delivered. Hosts that are not
public addresses (loopback, private ranges, link-local as a cloud's metadata service) are
refused unless the server's `webhook_private_hosts` allows them: a token holder must not make
our workers POST into our own network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from collections.abc import Callable

import httpx

logger = logging.getLogger(__name__)

HEADER = "X-Iguazu-Signature"
TOLERANCE = 300  # seconds a signature stays acceptable to `verify`
DELAYS = (1.0, 4.0, 15.0)  # seconds before the second, third and fourth attempts


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The header's value for `body` sent at `at` (Unix seconds, default now)."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether `header` signs `body` with `secret` and was made within `tolerance` seconds.
    Anything malformed is simply not a valid signature."""
    if not header or len(header) > 512:
        return False
    fields = dict(item.strip().partition("=")[::2] for item in header.split(","))
    stamp, given = fields.get("t", ""), fields.get("v1", "")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not given.isascii():
        return False
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > tolerance:
        return False
    expected = sign(secret, body, int(stamp)).partition("v1=")[2]
    return hmac.compare_digest(expected.encode(), given.encode())


def private(host: str) -> str | None:
    """Why `host` is not a public address (loopback, private, link-local: the inside of our
    own network, or a cloud's metadata service), resolving names; None when it is public."""
    try:
        found = {str(i[4][0]) for i in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError) as exc:
        return f"cannot resolve {host}: {exc}"
    for address in sorted(found):
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            return f"{host} is {ip}, not a public address"
    return None


def literal_private(host: str) -> bool:
    """Whether `host`, without looking anything up, names this machine or a private network
    (what a submission is checked for at once; names are resolved when delivering)."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def deliver(
    url: str,
    body: bytes,
    secret: str,
    *,
    private_hosts: bool = False,
    delays: tuple[float, ...] = DELAYS,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """POST `body` until a 2xx answer or the attempts run out: "delivered", "failed: why"
    (the last attempt's), or "refused: why" when the host is not public and `private_hosts`
    does not allow that (checked before each attempt). Each attempt is signed anew."""
    why = ""
    for attempt, delay in enumerate((0.0, *delays), start=1):
        if delay:
            sleep(delay)
        if not private_hosts:
            try:
                host = httpx.URL(url).host
            except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
                return f"refused: {exc}"
            inside = private(host)
            if inside is not None:
                logger.warning("webhook %s refused: %s", url, inside)
                return f"refused: {inside} (webhook_private_hosts allows it)"
        headers = {HEADER: sign(secret, body), "Content-Type": "application/json"}
        try:
            answer = httpx.post(url, content=body, headers=headers, timeout=timeout)
        except Exception as exc:  # noqa: BLE001  (whatever it is, the grading is done: say why)
            why = f"{type(exc).__name__}: {exc}"
        else:
            if answer.is_success:
                return "delivered"
            why = f"HTTP {answer.status_code}"
        logger.warning("webhook %s, attempt %d: %s", url, attempt, why)
    return f"failed: {why} (after {len(delays) + 1} attempts)"
