"""Jobs: every registered job, one job's page with its schema and recent invocations, and
"Run now", a form generated from the job's parameter schema (developers and admins).

The form has one input per property of the schema: text for a string, a number input for an
integer or a number, a checkbox for a boolean, a select for an enum, and a JSON textarea for
anything else (arrays, objects, unions). A job without a schema gets one JSON textarea. What
is typed is converted to its type and submitted through Batch.submit; a refusal re-renders
the form with the values kept and the error beside the field it names.

The invocation pages (list, detail, live log, cancel) are in invocations.py, whose router
this one includes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ..accounts import Session
from ..errors import Forbidden, InvalidParameters, InvalidRequest
from ..jobs import JobSpec
from ..models import InvocationRequest, Role
from . import invocations
from .auth import signed_in
from .invocations import duration
from .render import page, strict_json, viewer_zone

if TYPE_CHECKING:
    from . import UI

PREFIX = "p."  # form field names of parameters, apart from csrf, queue and run_at
RECENT = 20


@dataclass
class Field:
    """One input of the Run form, from one property of the schema."""

    name: str
    kind: str  # text, integer, number, boolean, select, json
    required: bool
    title: str = ""
    description: str = ""
    options: list[Any] = field(default_factory=list)  # select: the enum's values
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    minimum: Any = None
    maximum: Any = None
    placeholder: str = ""
    value: str = ""  # as shown in the input
    checked: bool = False
    error: str = ""


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def fields_of(schema: dict[str, Any] | None) -> list[Field]:
    """The Run form's inputs; one JSON textarea named "" for a job without a schema."""
    if not schema or not isinstance(schema.get("properties"), dict):
        return [Field(name="", kind="json", required=False, title="Parameters (JSON object)",
                      value="{}", placeholder='{"key": "value"}')]  # fmt: skip
    required = set(schema.get("required", ()))
    found = []
    for name, raw in schema["properties"].items():
        prop = _resolve(raw if isinstance(raw, dict) else {}, schema)
        nullable = False
        variants = prop.get("anyOf") or prop.get("oneOf")
        if isinstance(variants, list):  # Optional[X]: X, and empty means null
            others = [_resolve(v, schema) for v in variants if v.get("type") != "null"]
            nullable = len(others) < len(variants)
            if len(others) == 1:
                outer = {k: v for k, v in prop.items() if k not in ("anyOf", "oneOf")}
                prop = {**others[0], **outer}
        kind = "json"
        if isinstance(prop.get("enum"), list) and prop["enum"]:
            kind = "select"
        elif prop.get("type") in ("string", "integer", "number", "boolean") and "anyOf" not in prop:
            kind = {"string": "text"}.get(prop["type"], prop["type"])
        f = Field(
            name=name,
            kind=kind,
            required=name in required,
            title=str(prop.get("title") or name),
            description=str(prop.get("description") or ""),
            options=list(prop.get("enum") or []),
            nullable=nullable,
            default=prop.get("default"),
            has_default="default" in prop,
            minimum=prop.get("minimum", prop.get("exclusiveMinimum")),
            maximum=prop.get("maximum", prop.get("exclusiveMaximum")),
        )
        if kind == "json":
            f.placeholder = {"array": '["a", "b"]', "object": '{"key": "value"}'}.get(
                str(prop.get("type")), "JSON"
            )
        _show(f, f.default if f.has_default else None)
        found.append(f)
    return found


def _show(f: Field, value: Any) -> None:
    """Put a value (the default) into the field as its input shows it."""
    if f.kind == "boolean":
        f.checked = bool(value)
    elif value is None:
        f.value = ""
    elif f.kind == "json":
        f.value = json.dumps(value, ensure_ascii=False)
    elif f.kind == "select":
        f.value = json.dumps(value)
    else:
        f.value = str(value)


def read_form(fields: list[Field], form: Any) -> dict[str, Any] | None:
    """The parameters the form's values make, keeping each value typed in each field; None
    (with the fields' errors set) when one cannot be converted to its type."""
    parameters: dict[str, Any] = {}
    ok = True
    for f in fields:
        raw = str(form.get(PREFIX + f.name, ""))
        f.value, f.checked, f.error = raw, raw == "on", ""
        if f.kind == "boolean":
            parameters[f.name] = f.checked
            continue
        if raw == "" if f.kind == "text" else raw.strip() == "":
            if f.name == "":
                return {}
            if f.nullable and not f.has_default:
                parameters[f.name] = None
            continue  # left out: the default applies, or the schema says it is required
        try:
            parameters[f.name] = _convert(f, raw)
        except ValueError as exc:
            f.error, ok = str(exc), False
    if not ok:
        return None
    if len(fields) == 1 and fields[0].name == "":
        value = parameters.get("", {})
        if not isinstance(value, dict):
            fields[0].error = "must be a JSON object, like {}"
            return None
        return value
    return parameters


def _convert(f: Field, raw: str) -> Any:
    if f.kind == "integer":
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if f.kind == "number":
        try:
            number = float(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{raw!r} is not a finite number")
        return int(number) if number.is_integer() and "." not in raw and "e" not in raw else number
    if f.kind == "select":
        for option in f.options:
            if json.dumps(option) == raw:
                return option
        raise ValueError(f"{raw!r} is not one of the choices")
    if f.kind == "json":
        return strict_json(raw)
    return raw


def summary(spec: JobSpec) -> str:
    """The doc's first paragraph, on one line."""
    return " ".join(spec.doc.strip().split("\n\n")[0].split())


def parameters_of(spec: JobSpec) -> list[tuple[str, bool]]:
    schema = spec.schema or {}
    required = set(schema.get("required", ()))
    return [(name, name in required) for name in schema.get("properties", {})]


def router(ui: UI) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    viewer = signed_in(ui.accounts)
    dev = signed_in(ui.accounts, Role.DEVELOPER)
    batch = ui.batch

    @r.get("/jobs")
    def job_list(request: Request, session: Session = Depends(viewer)) -> Response:
        specs = list(batch.registry)
        return page(request, "jobs.html", session, specs=specs, summary=summary,
                    parameters_of=parameters_of, duration=duration)  # fmt: skip

    def job_page(
        request: Request,
        session: Session,
        spec: JobSpec,
        fields: list[Field] | None = None,
        error: str = "",
        queue: str = "",
        run_at: str = "",
        status: int = 200,
    ) -> Response:
        recent = batch.list(family=spec.family, job_name=spec.name, limit=RECENT)
        queues = sorted(batch.queues.values(), key=lambda q: (-q.priority, q.name))
        return page(
            request, "job.html", session, status=status, spec=spec, duration=duration,
            parameters=parameters_of(spec), recent=recent, queues=queues,
            fields=fields if fields is not None else fields_of(spec.schema), error=error,
            queue=queue, run_at=run_at,
            may_run=session.user.role.may(Role.DEVELOPER) and not spec.platform,
        )  # fmt: skip

    @r.get("/jobs/{family}/{name}")
    def job_detail(
        request: Request, family: str, name: str, session: Session = Depends(viewer)
    ) -> Response:
        return job_page(request, session, batch.registry.get(family, name))

    @r.post("/jobs/{family}/{name}/run")
    async def run_now(
        request: Request, family: str, name: str, session: Session = Depends(dev)
    ) -> Response:
        spec = batch.registry.get(family, name)
        if spec.platform:
            raise Forbidden(f"{spec.key} is the platform's own: it runs when work comes for it")
        form = await request.form()
        queue, run_at = str(form.get("queue", "")), str(form.get("run_at", ""))
        fields = fields_of(spec.schema)
        parameters = read_form(fields, form)

        def refused(message: str) -> Response:
            return job_page(request, session, spec, fields, message, queue, run_at, 422)

        if parameters is None:
            bad = "; ".join(f"{f.name or 'parameters'}: {f.error}" for f in fields if f.error)
            return refused(f"Nothing was run: {bad}")
        when = None
        if run_at.strip():
            try:
                when = datetime.fromisoformat(run_at.strip())
            except ValueError:
                return refused(f"Nothing was run: run at {run_at!r} is not a date and time")
            if when.tzinfo is None:
                when = when.replace(tzinfo=viewer_zone(request))
            try:
                when = when.astimezone(UTC)
            except OverflowError:
                return refused(f"Nothing was run: run at {run_at!r} is out of range")
        try:
            inv, _ = batch.submit(
                InvocationRequest(
                    family=spec.family,
                    job_name=spec.name,
                    parameters=parameters,
                    run_at=when,
                    queue=queue or None,
                )  # fmt: skip
            )
        except InvalidParameters as exc:
            by_name = {f.name: f for f in fields}
            for err in exc.errors:
                loc = tuple(err.get("loc", ()))
                target = by_name.get(str(loc[0]) if loc else "") or by_name.get("")
                if target is not None and not target.error:
                    where = ".".join(str(p) for p in loc[1:])
                    target.error = (f"{where}: " if where else "") + str(err.get("msg", ""))
            return refused(f"Nothing was run: {exc.message}")
        except InvalidRequest as exc:
            return refused(f"Nothing was run: {exc.message}")
        return RedirectResponse(f"/invocations/{quote(inv.id)}", status_code=303)

    r.include_router(invocations.router(ui))
    return r
