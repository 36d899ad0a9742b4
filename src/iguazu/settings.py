"""One Settings object. Only the CLI (and the app factory it calls) reads files and the
environment; everything else receives what it needs through its constructor."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .models import Queue, capabilities

DEFAULT_QUEUES = (
    Queue(name="default", priority=0),
    Queue(name="high", priority=10),
    Queue(name="low", priority=-10),
    Queue(name="grading", priority=20),  # learners wait for these: ahead of everything
)


def machine_cpu() -> int:
    return (len(os.sched_getaffinity(0)) or 1) * 1024


def machine_memory() -> int:
    """MiB of physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)


@dataclass(frozen=True, kw_only=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str | None = None  # default: a SQLite file in data_dir
    job_modules: tuple[str, ...] = ("iguazu.examples",)
    command_jobs: tuple[dict[str, Any], ...] = ()
    queues: tuple[Queue, ...] = DEFAULT_QUEUES
    host: str = "127.0.0.1"
    port: int = 8000
    api_token: str | None = None  # when set, every API call must carry it as a bearer token
    agent_cpu: int = field(default_factory=machine_cpu)  # CPU units this machine's agent offers
    agent_memory: int = field(default_factory=machine_memory)  # MiB
    isolation: str = "auto"  # auto (cgroup as root, else rlimit), cgroup, rlimit, none
    lease_seconds: float = 15.0  # an agent silent this long has lost its invocations
    heartbeat_seconds: float = 2.0
    # What this machine's agent declares it can run; None: found out ("sandbox" where grading
    # is configured and a sandbox starts). Jobs requiring a capability run only where declared.
    agent_capabilities: tuple[str, ...] | None = None
    assignments_dir: Path | None = None  # folders of assignments to grade, one per id
    webhook_secret: str | None = None  # signs submission results POSTed to callback URLs
    webhook_private_hosts: bool = False  # allow callbacks to loopback and private addresses
    session_hours: float = 12.0  # a web UI session ends this long after sign-in
    secure_cookies: bool = False  # behind TLS: session cookies only over https

    def __post_init__(self) -> None:
        if self.isolation not in ("auto", "cgroup", "rlimit", "none"):
            raise ConfigError(
                f"isolation must be auto, cgroup, rlimit or none, not {self.isolation!r}"
            )
        if not any(q.name == "default" for q in self.queues):
            raise ConfigError("the queue 'default' must be configured")
        if self.assignments_dir is not None and not any(q.name == "grading" for q in self.queues):
            raise ConfigError("grading assignments needs the queue 'grading' configured")
        if self.agent_capabilities is not None:
            try:
                declared = capabilities(self.agent_capabilities)
                object.__setattr__(self, "agent_capabilities", declared)
            except ValueError as exc:
                raise ConfigError(f"agent_capabilities: {exc}") from None

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'iguazu.db').resolve()}"

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def platform_env(self) -> dict[str, str]:
        """What the platform's own jobs (grading) are given to reach the store and the
        assignments; other jobs never see it."""
        env = {"IGUAZU_DATABASE_URL": self.url}
        if self.assignments_dir is not None:
            env["IGUAZU_ASSIGNMENTS_DIR"] = str(self.assignments_dir)
        if self.webhook_secret:
            env["IGUAZU_WEBHOOK_SECRET"] = self.webhook_secret
        if self.webhook_private_hosts:
            env["IGUAZU_WEBHOOK_PRIVATE_HOSTS"] = "1"
        return env

    @classmethod
    def from_file(cls, path: Path, **overrides: Any) -> Settings:
        """Read an `iguazu.toml`; keyword overrides (from flags or the environment) win."""
        try:
            raw = tomllib.loads(path.read_text()) if path.exists() else {}
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in {**raw, **{k: v for k, v in overrides.items() if v is not None}}.items():
            if key == "jobs":  # [jobs] modules = [...], [[jobs.commands]] ...
                values["job_modules"] = tuple(value.get("modules", ()))
                values["command_jobs"] = tuple(value.get("commands", ()))
            elif key == "queues":  # [queues] default = 0, high = 10
                values["queues"] = tuple(
                    q if isinstance(q, Queue) else Queue(name=q, priority=int(value[q]))
                    for q in value
                )
            elif key in known:
                values[key] = Path(value) if key in _PATHS else value
            else:
                raise ConfigError(f"{path}: unknown setting {key!r}")
        for key in _PATHS:  # relative to the settings file
            if values.get(key) is not None and not Path(values[key]).is_absolute():
                values[key] = (path.parent / values[key]).resolve()
        return cls(**values)


_PATHS = ("data_dir", "assignments_dir")
