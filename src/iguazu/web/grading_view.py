"""What the grading pages (grading.py) show, shaped for their templates: counts and learners
read from the store, a statement's Markdown as escaped blocks, a result's parts with what a
learner reads of each, and the colour of a verdict or a state.

Nothing here marks text safe: the templates escape everything they are given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..grid import exports
from ..grid.assignment import Assignment, Part
from ..grid.grader import PartResult, SubmissionResult
from ..grid.verdicts import Verdict
from ..models import SubmissionState

COMPILE_SHOWN = 16 * 1024  # characters of a compiler's messages on the page
STATEMENT_SHOWN = 200 * 1024  # characters of a statement
SOURCE_SHOWN = 256 * 1024  # characters of an uploaded file

VERDICT_CLASS = {Verdict.AC: "ok", Verdict.IE: "wait"}  # every other verdict is the learner's
SUBMISSION_CLASS = {
    SubmissionState.QUEUED: "wait", SubmissionState.GRADING: "run",
    SubmissionState.GRADED: "ok", SubmissionState.ERROR: "bad",
}  # fmt: skip


def verdict_class(verdict: Verdict | str) -> str:
    return VERDICT_CLASS.get(Verdict(verdict), "bad")


def submission_class(state: SubmissionState | str) -> str:
    return SUBMISSION_CLASS.get(SubmissionState(state), "")


def points(value: float | None, missing: str = "-") -> str:
    """12.5, 60, 33.33: no trailing zeros, two decimals at most."""
    if value is None:
        return missing
    return f"{round(value, 2):g}"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 2**20:.1f} MiB"


def checker_name(part: Part) -> str:
    c = part.checker
    if c.kind == "floats":
        return f"floats (abs {c.abs_tol:g}, rel {c.rel_tol:g})"
    if c.kind == "program" and c.source is not None:
        return f"program ({c.source.name})"
    return c.kind


# ---- statements --------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    kind: str  # "h2".."h4", "p", "pre", "li"
    text: str  # Markdown's own inline marks in it (the raw code of a "pre")

    def spans(self) -> list[tuple[str, str]]:
        """(kind, text) pieces: "" plain, "em", "strong", "code"."""
        found: list[tuple[str, str]] = []
        at = 0
        for m in INLINE.finditer(self.text):
            if m.start() > at:
                found.append(("", _unescape(self.text[at : m.start()])))
            if m.group("code") is not None:
                found.append(("code", m.group("code")))
            elif m.group("strong") is not None:
                found.append(("strong", _unescape(m.group("strong"))))
            else:
                found.append(("em", _unescape(m.group("em"))))
            at = m.end()
        if at < len(self.text):
            found.append(("", _unescape(self.text[at:])))
        return found


FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
INLINE = re.compile(
    r"`(?P<code>[^`]+)`"
    r"|(?<!\\)\*\*(?P<strong>[^*]+?)(?<!\\)\*\*"
    r"|(?<![\\\w])[*_](?P<em>[^*_\s](?:[^*_]*?[^*_\s\\])?)[*_](?!\w)"
)


def statement_blocks(path: Path) -> list[Block]:
    """A Markdown statement as headings, paragraphs, list items and code blocks: plain text,
    escaped by the template (no Markdown library, no HTML passes through)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")[:STATEMENT_SHOWN]
    except OSError as exc:
        return [Block("p", f"(the statement cannot be read: {exc.strerror})")]
    blocks: list[Block] = []
    para: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if para:
            blocks.append(Block("p", " ".join(s.strip() for s in para)))
            para.clear()

    for line in text.splitlines():
        if code is not None:
            if FENCE.match(line):
                blocks.append(Block("pre", "\n".join(code)))
                code = None
            else:
                code.append(line)
            continue
        if FENCE.match(line):
            flush()
            code = []
        elif not line.strip():
            flush()
        elif m := HEADING.match(line):
            flush()
            blocks.append(Block(f"h{min(len(m.group(1)) + 1, 4)}", m.group(2)))
        elif m := ITEM.match(line):
            flush()
            blocks.append(Block("li", m.group(1)))
        else:
            para.append(line)
    flush()
    if code is not None:
        blocks.append(Block("pre", "\n".join(code)))
    return blocks


def _unescape(line: str) -> str:
    """Markdown's backslash escapes (N\\*N) read as the character."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", line)


# ---- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PartView:
    result: PartResult
    title: str
    feedback: str  # what the learner reads of it (exports.feedback_text)
    compile_output: str  # capped


def result_view(
    raw: dict[str, Any] | None, assignment: Assignment | None
) -> tuple[SubmissionResult | None, list[PartView], str]:
    """The stored result, its parts to show, and a problem reading it ("" when none)."""
    if raw is None:
        return None, [], ""
    try:
        result = SubmissionResult.from_json(raw)
    except (KeyError, TypeError, ValueError) as exc:
        return None, [], f"the stored result cannot be read ({exc!r})"
    titles = {p.id: p.title for p in assignment.parts} if assignment else {}
    views = []
    for part in result.parts:
        shown = part.compile_output[:COMPILE_SHOWN]
        if len(part.compile_output) > COMPILE_SHOWN:
            shown += "\n[...]"
        views.append(
            PartView(part, titles.get(part.part, part.part), exports.feedback_text(part), shown)
        )
    return result, views, ""


def source_text(content: bytes) -> tuple[str, bool]:
    """An uploaded file as text (capped) and whether it was cut."""
    text = content.decode("utf-8", errors="replace")
    return text[:SOURCE_SHOWN], len(text) > SOURCE_SHOWN
