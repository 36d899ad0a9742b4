"""A learner's source, compiled in a box of its own (no test data in it, limits of its own),
and one run of what it produced.

    built = build(sandbox, language("cpp"), source)
    if built.ok:
        report = run(sandbox, built, stdin=b"...", limits=built.language.limits(time_ms=1000,
                                                                                 memory_kb=65536))
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sandbox import KIB, MIB, File, Limits, RunReport, Sandbox, Status
from . import pch
from .languages import Language

COMPILE_LIMITS = Limits(
    cpu_time=20.0,
    wall_time=40.0,
    memory=1024 * MIB,
    processes=32,
    output=64 * KIB,  # what the learner sees of the compiler's complaints
    file_size=64 * MIB,
    work_dir_size=256 * MIB,
    work_dir_files=4096,
)


@dataclass(frozen=True)
class Build:
    """What compiling gave: `files` for the runs when `ok`; otherwise `output` says why
    (the compiler's messages, capped) and `internal` whether it was our fault, not the
    learner's (the compiler could not even start, or the box failed)."""

    language: Language
    ok: bool
    files: dict[str, File] = field(default_factory=dict)
    output: str = ""
    internal: bool = False
    report: RunReport | None = None


def build(sandbox: Sandbox, language: Language, source: bytes) -> Build:
    sources = {language.source: File(source)}
    if language.compile is None:
        return Build(language, ok=True, files=sources)
    argv, ro_paths = list(language.compile), list(language.ro_paths)
    header_dir = pch.folder(sandbox.base_dir, language)
    if header_dir is not None:
        argv[1:1] = ["-I", str(header_dir)]
        ro_paths.append(str(header_dir))
    report = sandbox.run(
        argv,
        files=sources,
        limits=COMPILE_LIMITS,
        ro_paths=ro_paths,
        collect=language.outputs or (language.source,),
        refuse_sockets=language.refuse_sockets,
    )
    said = (report.stdout + report.stderr).decode(errors="replace")
    if report.status is Status.INTERNAL_ERROR:
        return Build(language, ok=False, output=report.message, internal=True, report=report)
    if report.status is not Status.OK:
        why = said if report.status is Status.RUNTIME_ERROR else f"{report.message}\n{said}"
        return Build(language, ok=False, output=why.strip(), report=report)
    produced = {name: File(data, 0o755) for name, data in report.files.items()}
    if language.outputs and not produced:
        return Build(language, ok=False, output="the compiler produced no program", report=report)
    return Build(language, ok=True, files={**sources, **produced}, output=said, report=report)


def run(
    sandbox: Sandbox,
    built: Build,
    *,
    stdin: bytes,
    limits: Limits,
    args: tuple[str, ...] = (),
    files: dict[str, File] | None = None,
    collect: tuple[str, ...] = (),
) -> RunReport:
    """One run of a successful build, `stdin` through a pipe (no test file in the box);
    `args` after the language's run command, `files` beside the build's, `collect` read
    back after it."""
    language = built.language
    memory_mib = max(1, (limits.memory - language.memory_extra_mib * MIB) // MIB)
    argv = [arg.replace("{memory_mib}", str(memory_mib)) for arg in language.run] + list(args)
    return sandbox.run(
        argv,
        files={**built.files, **(files or {})},
        stdin=stdin,
        limits=limits,
        ro_paths=language.ro_paths,
        refuse_sockets=language.refuse_sockets,
        collect=collect,
    )
