"""An assignment as course staff write it: a folder with `assignment.toml` beside its files.

    title = "Painting the wall"
    statement = "statement.md"                 # or { en = "en.md", zh = "zh.md" }
    pass_mark = 80                             # points out of the parts' total

    [[parts]]
    id = "painter"
    title = "Painter"
    points = 50
    languages = ["c", "cpp", "python", "java"]
    time_limit_ms = 1000
    memory_limit_kb = 65536
    tests = "painter/tests"                    # <name>.in with <name>.out beside it
    visible = ["sample"]                       # tests a learner sees (input and a diff)
    checker = "exact"                          # tokens, { kind = "floats", abs_tol = 1e-6 },
                                               # or { kind = "program", source = "check.cpp" }
    references = { cpp = "painter/ref.cpp" }   # must pass their own part (grade check)

    [[parts.subtasks]]                         # optional: all-or-nothing groups of tests
    name = "small"
    points = 20
    tests = ["small-*"]                        # names or patterns

Without subtasks a part scores its points times the share of tests passed. Instead of tests,
a part may name `grader = "grader/grade.py"`: course staff's script decides (script.py).
`load` raises AssignmentError naming the file and the field of every problem it finds.
"""

from __future__ import annotations

import fnmatch
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidRequest, NotFound
from .build import COMPILE_LIMITS
from .checkers import Checker
from .languages import languages, source_suffixes

MANIFEST = "assignment.toml"
MAX_FILE = 256 * 2**20  # a test, statement or program: larger is a mistake
# A test's limits: the grading job (grid/job.py) reserves memory for one box of 1 GiB beside
# itself, and its whole run must fit its timeout.
MAX_MEMORY_KB = 1024 * 1024
MAX_TIME_MS = 60_000
GRADING_BUDGET = 800  # seconds of a submission's grading (the grading job's timeout is 900)
PART_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")  # a form field's name, a URL's, a column's


class AssignmentError(InvalidRequest):
    """`problems` are "file: field: what is wrong" lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the assignment is not valid:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Test:
    name: str
    input: Path
    output: Path
    visible: bool = False


@dataclass(frozen=True)
class Subtask:
    name: str
    points: float
    tests: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Part:
    id: str
    title: str
    points: float
    languages: tuple[str, ...]
    time_limit_ms: int
    memory_limit_kb: int
    tests: tuple[Test, ...]
    checker: Checker = field(default_factory=Checker)
    subtasks: tuple[Subtask, ...] = ()
    references: dict[str, Path] = field(default_factory=dict)
    grader: Path | None = None  # a script grader (script.py) instead of tests


@dataclass(frozen=True, kw_only=True)
class Assignment:
    folder: Path
    title: str
    statements: dict[str, Path]  # language of the text ("" when one) -> Markdown file
    pass_mark: float
    parts: tuple[Part, ...]

    @property
    def total(self) -> float:
        return sum(p.points for p in self.parts)

    def part(self, ident: str) -> Part:
        for part in self.parts:
            if part.id == ident:
                return part
        known = ", ".join(p.id for p in self.parts)
        raise NotFound(f"{ident!r} in {self.title!r} (parts: {known})", "part")


def load(folder: str | Path) -> Assignment:
    folder = Path(folder)
    manifest = folder / MANIFEST
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssignmentError([f"{manifest}: not found"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AssignmentError([f"{MANIFEST}: {exc}"]) from None
    problems: list[str] = []
    reader = _Reader(folder, problems)
    title = reader.text(data, "title")
    statements = reader.statements(data.get("statement"))
    parts = [reader.part(p, i) for i, p in enumerate(data.get("parts") or [])]
    if not parts:
        problems.append(f"{MANIFEST}: parts: at least one part is needed")
    ids = [p.id for p in parts if p]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{MANIFEST}: parts: the id {dup!r} is used twice")
    problems += [f"{MANIFEST}: {problem}" for p in parts if p for problem in _fits_a_job(p)]
    worst = sum(_worst_seconds(p) for p in parts if p)
    if worst > GRADING_BUDGET:
        problems.append(
            f"{MANIFEST}: parts: a submission of every part could take {worst:.0f} s (every "
            f"test at its wall-clock limit), more than the {GRADING_BUDGET} s a grading job "
            "has: fewer tests or lower time limits"
        )
    total = sum(p.points for p in parts if p)
    pass_mark = reader.number(data, "pass_mark", "pass_mark", minimum=0)
    if pass_mark is not None and all(parts) and pass_mark > total:  # not after a bad part
        problems.append(f"{MANIFEST}: pass_mark: {pass_mark:g} is more than the {total:g} points")
    if problems:
        raise AssignmentError(problems)
    return Assignment(
        folder=folder,
        title=title or "",
        statements=statements,
        pass_mark=pass_mark or 0,
        parts=tuple(p for p in parts if p),
    )


def _worst_seconds(part: Part) -> float:
    """How long grading the part may take at most: its compile, then every test at its wall
    clock limit in its slowest language (a grader script's own limits are its own)."""
    if part.grader is not None:
        return 0.0
    known = languages()
    factor = max((known[lang].time_factor for lang in part.languages if lang in known), default=1)
    per_test = 2 * part.time_limit_ms / 1000 * factor + 1  # Language.limits' wall clock
    return COMPILE_LIMITS.wall_time + len(part.tests) * per_test


def _fits_a_job(part: Part) -> list[str]:
    """A test's box must fit the memory the grading job reserves for it."""
    known = languages()
    extra = max((known[lang].memory_extra_mib for lang in part.languages if lang in known),
                default=0)  # fmt: skip
    need = part.memory_limit_kb // 1024 + extra
    if need <= MAX_MEMORY_KB // 1024:
        return []
    return [
        f"parts.{part.id}.memory_limit_kb: with {extra} MiB more for its languages a box "
        f"needs {need} MiB, more than the {MAX_MEMORY_KB // 1024} MiB a grading job holds"
    ]


class _Reader:
    """Reads the manifest's fields, noting each problem instead of stopping at the first."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.folder, self.problems = folder, problems

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{MANIFEST}: {where}: {what}")

    def text(self, table: dict[str, Any], key: str, where: str = "") -> str | None:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(where or key, "a text is needed")
            return None
        return value

    def number(
        self,
        table: dict[str, Any],
        key: str,
        where: str,
        *,
        minimum: float = 0,
        maximum: float = math.inf,
    ) -> float | None:
        value = table.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not minimum <= value <= maximum
        ):
            wanted = (
                f"at least {minimum:g}" if maximum == math.inf else f"{minimum:g} to {maximum:.0f}"
            )
            self.fail(where, f"a number of {wanted} is needed, not {value!r}")
            return None
        return float(value)

    def file(self, name: object, where: str, folder: bool = False) -> Path | None:
        """A regular file (or a `folder`) inside the assignment's folder, links resolved."""
        if not isinstance(name, str) or not name:
            self.fail(where, "a file name is needed")
            return None
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            self.fail(where, f"{name} is outside the assignment's folder")
            return None
        if not path.exists():
            self.fail(where, f"{name} does not exist")
            return None
        if folder != path.is_dir() or not (folder or path.is_file()):
            self.fail(where, f"{name} is not a {'folder' if folder else 'regular file'}")
            return None
        if not folder and path.stat().st_size > MAX_FILE:
            self.fail(where, f"{name} is larger than {MAX_FILE // 2**20} MiB")
            return None
        return path

    def statements(self, value: object) -> dict[str, Path]:
        named = {"": value} if isinstance(value, str) else value
        if not isinstance(named, dict) or not named:
            self.fail("statement", "a Markdown file, or a table of them by language")
            return {}
        found = {}
        for lang, name in named.items():
            path = self.file(name, f"statement{'.' + lang if lang else ''}")
            if path is not None:
                found[lang] = path
        return found

    def part(self, table: object, index: int) -> Part | None:
        if not isinstance(table, dict):
            self.fail(f"parts[{index}]", "a table is needed")
            return None
        where = f"parts[{index}]"
        ident = self.text(table, "id", f"{where}.id")
        if ident and not PART_ID.fullmatch(ident):
            self.fail(f"{where}.id", f"{ident!r}: letters, digits, - and _, at most 100")
            ident = None
        if ident:
            where = f"parts.{ident}"
        title = table.get("title", ident)
        points = self.number(table, "points", f"{where}.points", minimum=0)
        time_ms = self.number(
            table, "time_limit_ms", f"{where}.time_limit_ms", minimum=1, maximum=MAX_TIME_MS
        )
        memory_kb = self.number(
            table,
            "memory_limit_kb",
            f"{where}.memory_limit_kb",
            minimum=4096,
            maximum=MAX_MEMORY_KB,
        )
        langs = table.get("languages")
        known = languages()
        if not isinstance(langs, list) or not langs:
            self.fail(f"{where}.languages", f"a list of languages is needed: {', '.join(known)}")
            langs = []
        for lang in langs:
            if lang not in known:
                self.fail(f"{where}.languages", f"unknown language {lang!r} ({', '.join(known)})")
        grader = None
        if "grader" in table:  # course staff's script decides (script.py): no tests here
            grader = self.file(table["grader"], f"{where}.grader")
            if grader is not None and grader.suffix not in source_suffixes():
                self.fail(f"{where}.grader", f"cannot tell its language from {grader.suffix!r}")
            for key in ("tests", "subtasks", "checker", "visible"):
                if key in table:
                    self.fail(f"{where}.{key}", "a part with a grader script has none")
            if grader is None:
                return None
        tests = self.tests(table, where) if grader is None else []
        checker = self.checker(table.get("checker", "exact"), f"{where}.checker")
        subtasks = self.subtasks(table.get("subtasks") or [], tests, points, where)
        references = {}
        given = table.get("references") or {}
        if not isinstance(given, dict):
            self.fail(f"{where}.references", "a table of language = file is needed")
            given = {}
        for lang, name in given.items():
            if lang not in known:
                self.fail(f"{where}.references.{lang}", "not a known language")
            path = self.file(name, f"{where}.references.{lang}")
            if path is not None:
                references[lang] = path
        if None in (ident, points, time_ms, memory_kb) or checker is None:
            return None
        return Part(
            id=str(ident),
            title=str(title),
            points=float(points or 0),
            languages=tuple(str(x) for x in langs),
            time_limit_ms=int(time_ms or 0),
            memory_limit_kb=int(memory_kb or 0),
            tests=tuple(tests),
            checker=checker,
            subtasks=tuple(subtasks),
            references=references,
            grader=grader,
        )

    def tests(self, table: dict[str, Any], where: str) -> list[Test]:
        name = table.get("tests")
        folder = self.file(name, f"{where}.tests", folder=True)
        if folder is None:
            return []
        visible = set(table.get("visible") or [])
        found = []
        for given in sorted(folder.glob("*.in")):
            out = given.with_suffix(".out")
            if not out.exists():
                self.fail(f"{where}.tests", f"{given.name} has no {out.name} beside it")
                continue
            paths = [self.file(f"{name}/{p.name}", f"{where}.tests") for p in (given, out)]
            if None not in paths:
                found.append(
                    Test(given.stem, given.resolve(), out.resolve(), given.stem in visible)
                )
        if not found:
            self.fail(f"{where}.tests", "no tests (<name>.in with <name>.out) in the folder")
        for name in sorted(visible - {t.name for t in found}):
            self.fail(f"{where}.visible", f"no test named {name!r}")
        return found

    def checker(self, value: object, where: str) -> Checker | None:
        try:
            if isinstance(value, str):
                return Checker(kind=value)
            if isinstance(value, dict) and value.get("kind") == "program":
                source = self.file(value.get("source"), f"{where}.source")
                if source is not None and source.suffix not in source_suffixes():
                    self.fail(f"{where}.source", f"cannot tell its language from {source.suffix!r}")
                    return None
                return Checker(kind="program", source=source) if source else None
            if isinstance(value, dict):
                return Checker(**value)
            raise ValueError(f"exact, tokens, or a table such as {{ kind = 'floats' }}: {value!r}")
        except (TypeError, ValueError) as exc:
            self.fail(where, str(exc))
            return None

    def subtasks(
        self, tables: list[Any], tests: list[Test], points: float | None, where: str
    ) -> list[Subtask]:
        found: list[Subtask] = []
        used: set[str] = set()
        names = [t.name for t in tests]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            self.fail(f"{where}.subtasks", "a list of tables ([[parts.subtasks]]) is needed")
            return found
        for index, table in enumerate(tables):
            at = f"{where}.subtasks[{index}]"
            name = self.text(table, "name", f"{at}.name") or str(index + 1)
            if name in {s.name for s in found}:
                self.fail(f"{at}.name", f"the name {name!r} is used twice")
            share = self.number(table, "points", f"{at}.points", minimum=0) or 0
            patterns = table.get("tests")
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
                self.fail(f"{at}.tests", 'a list of test names or patterns is needed: ["small-*"]')
                patterns = []
            chosen = [n for pattern in patterns for n in names if fnmatch.fnmatchcase(n, pattern)]
            if not chosen:
                self.fail(f"{at}.tests", "matches no test")
            used.update(chosen)
            found.append(Subtask(name, share, tuple(dict.fromkeys(chosen))))
        added = sum(s.points for s in found)
        if found and points is not None and abs(added - points) > 1e-9:
            self.fail(f"{where}.subtasks", f"add up to {added:g} points, not the part's {points:g}")
        left = ", ".join(sorted(set(names) - used))
        if found and left:
            self.fail(f"{where}.subtasks", f"tests in no subtask: {left}")
        return found
