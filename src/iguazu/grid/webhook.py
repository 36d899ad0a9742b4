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


def public_address(host: str) -> tuple[str | None, str]:
    """(an address to connect to, "") when every address `host` resolves to is public, or
    (None, why) when one is loopback, private or link-local (our own network, a cloud's
    metadata service) or it does not resolve. `host` is the ASCII name (IDNA applied) that a
    connection would look up."""
    try:
        found = {str(i[4][0]) for i in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError) as exc:
        return None, f"cannot resolve {host}: {exc}"
    for address in sorted(found):
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            return None, f"{host} is {ip}, not a public address"
    return sorted(found)[0], ""


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
        headers = {HEADER: sign(secret, body), "Content-Type": "application/json"}
        try:
            target, extensions = httpx.URL(url), {}
            if not private_hosts:
                # The name is resolved once, here, and the connection goes to the address
                # checked: a second lookup could answer otherwise (DNS rebinding). TLS still
                # checks the certificate against the name.
                name = target.raw_host.decode("ascii")
                address, refusal = public_address(name)
                if address is None and refusal.startswith("cannot resolve"):
                    raise OSError(refusal)  # perhaps for a moment: tried again
                if address is None:
                    logger.warning("webhook %s refused: %s", url, refusal)
                    return f"refused: {refusal} (webhook_private_hosts allows it)"
                headers["Host"] = name if target.port is None else f"{name}:{target.port}"
                target = target.copy_with(host=address)
                extensions = {"sni_hostname": name}
            with httpx.Client(timeout=timeout) as client:
                request = client.build_request(
                    "POST", target, content=body, headers=headers, extensions=extensions
                )
                answer = client.send(request)
        except Exception as exc:  # noqa: BLE001  (whatever it is, the grading is done: say why)
            why = f"{type(exc).__name__}: {exc}"
        else:
            if answer.is_success:
                return "delivered"
            why = f"HTTP {answer.status_code}"
        logger.warning("webhook %s, attempt %d: %s", url, attempt, why)
    return f"failed: {why} (after {len(delays) + 1} attempts)"
