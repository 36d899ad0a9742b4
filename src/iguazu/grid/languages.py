"""The languages learners may submit in: one small TOML file each under languages/.

    id, name            "cpp", "C++ (g++ 12, C++17)"
    source              the file the learner's code goes in: main.cpp
    compile             argv run in a box of its own (no test data there), or absent
    outputs             what compile produces for the runs: names or patterns ("*.class")
    run                 argv of a test run, in a box holding the source and those outputs;
                        {memory_mib} stands for the assignment's memory limit
    ro_paths            host paths the boxes need beside /usr (the JVM's configuration)
    time_factor         an assignment's time limit is multiplied by it
    memory_extra_mib    and its memory limit raised by it (an interpreter's own memory)
    processes           processes and threads a run may have (the JVM has a dozen of its own)
    refuse_sockets      inet sockets fail rather than kill (the JVM probes for IPv6 as it starts)
    precompiled_header  a system header to precompile once per machine (bits/stdc++.h) with
    precompile          the compiler's argv for it (the compile's flags), see pch.py

Each has a self-test under languages/selftest/ that the test suite compiles and runs.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..sandbox import MIB, Limits

FIELDS = {"id", "name", "source", "compile", "outputs", "run", "ro_paths", "time_factor",
          "memory_extra_mib", "processes", "refuse_sockets", "precompiled_header",
          "precompile"}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Language:
    id: str
    name: str
    source: str
    compile: tuple[str, ...] | None
    outputs: tuple[str, ...] = ()
    run: tuple[str, ...]
    ro_paths: tuple[str, ...] = ()
    time_factor: float = 1.0
    memory_extra_mib: int = 0
    processes: int = 16
    refuse_sockets: bool = False
    precompiled_header: str | None = None
    precompile: tuple[str, ...] = ()

    def limits(self, *, time_ms: int, memory_kb: int, **more: Any) -> Limits:
        """A test run's limits: the assignment's time and memory, scaled for this language.
        The wall clock allows for a busy machine: twice the CPU time and a second."""
        cpu = time_ms / 1000 * self.time_factor
        return Limits(
            cpu_time=cpu,
            wall_time=2 * cpu + 1,
            memory=memory_kb * 1024 + self.memory_extra_mib * MIB,
            processes=self.processes,
            **more,
        )


@functools.lru_cache(maxsize=1)
def languages() -> dict[str, Language]:
    """Every language shipped, by id. Raises ConfigError naming a file that is wrong."""
    found = {}
    folder = resources.files(__package__).joinpath("languages")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            language = _parse(entry.name, entry.read_text())
            found[language.id] = language
    return found


def language(ident: str) -> Language:
    """The language `ident`; ConfigError listing the known ones otherwise."""
    known = languages()
    if ident not in known:
        raise ConfigError(f"unknown language {ident!r}; known: {', '.join(sorted(known))}")
    return known[ident]


def _parse(filename: str, text: str) -> Language:
    try:
        data = tomllib.loads(text)
        unknown = set(data) - FIELDS
        if unknown:
            raise ValueError(f"unknown fields {', '.join(sorted(unknown))}")
        compile_argv = data.get("compile")
        return Language(
            id=str(data["id"]),
            name=str(data["name"]),
            source=str(data["source"]),
            compile=tuple(compile_argv) if compile_argv else None,
            outputs=tuple(data.get("outputs", ())),
            run=tuple(data["run"]),
            ro_paths=tuple(data.get("ro_paths", ())),
            time_factor=float(data.get("time_factor", 1.0)),
            memory_extra_mib=int(data.get("memory_extra_mib", 0)),
            processes=int(data.get("processes", 16)),
            refuse_sockets=bool(data.get("refuse_sockets", False)),
            precompiled_header=data.get("precompiled_header"),
            precompile=tuple(data.get("precompile", ())),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"language file {filename}: {exc}") from None


def source_suffixes() -> dict[str, str]:
    """File suffix -> language id: .c, .cpp (and .cc), .py, .java."""
    found = {Path(lang.source).suffix: lang.id for lang in languages().values()}
    found.setdefault(".cc", "cpp")
    return found
