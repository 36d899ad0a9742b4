"""Jobs: Python classes (or plain commands) that reserve CPU and RAM.

    class Job(iguazu.Job):
        reserved_cpu = 1024        # CPU units, 1024 = one core
        reserved_memory = 1024     # MiB
        def run(self, parameters): ...

`family` defaults to the last part of the module's name and `name` to the class name in
lower case (or to the family, for a class named `Job`, as the seed writes them). A job that
declares `Parameters` (a pydantic model) gets its parameters validated at submit and receives
an instance of the model; otherwise it receives the decoded JSON object.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pydantic

from .errors import ConfigError, InvalidParameters, UnknownJob
from .models import capabilities


class Job:
    family: ClassVar[str]
    name: ClassVar[str]
    reserved_cpu: ClassVar[int] = 1024
    reserved_memory: ClassVar[int] = 1024
    timeout: ClassVar[float | None] = None  # seconds; the whole process tree is killed after it
    queue: ClassVar[str] = "default"
    max_attempts: ClassVar[int] = 1  # > 1 opts in to retries of FAILED and TIMED_OUT runs
    requires: ClassVar[tuple[str, ...]] = ()  # agent capabilities it needs ("sandbox")
    platform: ClassVar[bool] = False  # gets Settings.platform_env (store, assignments)
    Parameters: ClassVar[type[pydantic.BaseModel] | None] = None

    def run(self, parameters: Any) -> None:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """What the platform needs to know of a job without running it."""

    family: str
    name: str
    reserved_cpu: int = 1024
    reserved_memory: int = 1024
    timeout: float | None = None
    queue: str = "default"
    max_attempts: int = 1
    requires: tuple[str, ...] = ()  # capabilities an agent must declare to run it
    platform: bool = False  # the platform's own (grading): gets Settings.platform_env
    target: str | None = None  # "module:Class" of a Python job
    argv: tuple[str, ...] = ()  # a command job's program and arguments
    parameters_model: type[pydantic.BaseModel] | None = field(default=None, compare=False)
    doc: str = ""

    def __post_init__(self) -> None:
        if (self.target is None) == (not self.argv):
            raise ConfigError(f"job {self.key} needs exactly one of a Python class or an argv")
        if self.reserved_cpu <= 0 or self.reserved_memory <= 0:
            raise ConfigError(f"job {self.key} must reserve positive CPU and memory")
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigError(f"job {self.key} has a timeout that is not positive")
        if self.max_attempts < 1:
            raise ConfigError(f"job {self.key} has max_attempts below 1")
        try:
            object.__setattr__(self, "requires", capabilities(self.requires))
        except ValueError as exc:
            raise ConfigError(f"job {self.key} requires {exc}") from None

    @property
    def key(self) -> str:
        return f"{self.family}/{self.name}"

    @property
    def command(self) -> str:
        """What runs, as the UI shows it."""
        return " ".join(self.argv) if self.argv else f"python job {self.target}"

    @property
    def schema(self) -> dict[str, Any] | None:
        return self.parameters_model.model_json_schema() if self.parameters_model else None

    def validate(self, parameters: Any) -> dict[str, Any]:
        """Check parameters against the job's model; return them as JSON-ready data."""
        if not isinstance(parameters, Mapping):
            raise InvalidParameters(self.key, [{"loc": (), "msg": "must be a JSON object"}])
        if self.parameters_model is None:
            return dict(parameters)
        try:
            model = self.parameters_model.model_validate(dict(parameters))
        except pydantic.ValidationError as exc:
            raise InvalidParameters(self.key, list(exc.errors(include_url=False))) from None
        return model.model_dump(mode="json")

    def load_class(self) -> type[Job]:
        assert self.target is not None
        return load_target(self.target)


def load_target(target: str) -> Any:
    """The object a "module:Qual.Name" target names (nested classes included)."""
    module, _, qualname = target.partition(":")
    return functools.reduce(getattr, qualname.split("."), importlib.import_module(module))


def spec_of(cls: type[Job]) -> JobSpec:
    module_tail = cls.__module__.rsplit(".", 1)[-1]
    family = cls.__dict__.get("family") or getattr(cls, "family", None) or module_tail
    default_name = family if cls.__name__ == "Job" else cls.__name__.lower()
    name = cls.__dict__.get("name") or default_name
    return JobSpec(
        family=family,
        name=name,
        reserved_cpu=cls.reserved_cpu,
        reserved_memory=cls.reserved_memory,
        timeout=cls.timeout,
        queue=cls.queue,
        max_attempts=cls.max_attempts,
        requires=cls.requires,  # a string (a forgotten comma) is refused, not spelt out
        platform=cls.platform,
        target=f"{cls.__module__}:{cls.__qualname__}",
        parameters_model=cls.Parameters,
        doc=inspect.getdoc(cls) or "",
    )


class JobRegistry:
    """The jobs one process knows, by family and name."""

    def __init__(self, specs: Iterable[JobSpec] = ()) -> None:
        self._specs: dict[tuple[str, str], JobSpec] = {}
        for spec in specs:
            if (spec.family, spec.name) in self._specs:
                raise ConfigError(f"job {spec.key} is defined twice")
            self._specs[(spec.family, spec.name)] = spec

    @classmethod
    def load(
        cls, modules: Iterable[str] = (), commands: Iterable[Mapping[str, Any]] = ()
    ) -> JobRegistry:
        """Import each module and register every Job subclass defined in it."""
        specs = []
        for module_name in modules:
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise ConfigError(f"cannot import job module {module_name!r}: {exc}") from exc
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, Job)
                    and obj is not Job
                    and obj.__module__ == module.__name__
                    and not inspect.isabstract(obj)
                ):
                    specs.append(spec_of(obj))
        for entry in commands:
            try:
                argv = tuple(str(a) for a in entry["argv"])
                fields = {k: v for k, v in entry.items() if k != "argv"}
                specs.append(JobSpec(argv=argv, **fields))
            except (KeyError, TypeError) as exc:
                raise ConfigError(f"command job {dict(entry)!r} is malformed: {exc}") from exc
        return cls(specs)

    def get(self, family: str, name: str) -> JobSpec:
        try:
            return self._specs[(family, name)]
        except KeyError:
            keys = [s.key for s in self._specs.values()]
            near = difflib.get_close_matches(f"{family}/{name}", keys, n=3, cutoff=0.6)
            raise UnknownJob(family, name, near) from None

    def __iter__(self) -> Iterator[JobSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: (s.family, s.name)))

    def __len__(self) -> int:
        return len(self._specs)
