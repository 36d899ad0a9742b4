"""Hostile and wrong input to the submissions API, over real HTTP against the real System
(`grid_api`: no dispatcher, so an accepted submission stays QUEUED).

Every refusal is a 4xx in our JSON error shape whose message names what is wrong, and leaves
nothing behind: no submission and no grading invocation. Also the accepted path without a
dispatcher (the grading invocation written with it, the files stored as uploaded), the
assignments' listing (a broken manifest does not hide the others), reading, exporting and
histories of submissions that are not graded yet, and a server that grades nothing.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from iguazu.api.grid_routes import MAX_PARTS, _max_body
from iguazu.models import State
from iguazu.settings import Settings
from iguazu.system import System

from ..conftest import TEST_TOKEN, _run_uvicorn
from .conftest import Platform, _platform

SOURCE = b"a, b = map(int, input().split())\nprint(a + b)\n"
KIB = 1024
MAX_SOURCE = 256 * KIB
TEXT_FORM = "multipart/form-data; boundary=zzz"  # the Content-Type of text_form's bodies

Files = Mapping[str, tuple[str, bytes]] | list[tuple[str, tuple[str, bytes]]]


# -- helpers --------------------------------------------------------------------------------


def submit(
    platform: Platform,
    assignment: str = "sum",
    files: Files | None = None,
    **fields: str,
) -> httpx.Response:
    """POST a multipart submission; `learner` defaults to ada, files to a Python `sum`."""
    data = {"learner": "ada", **fields}
    if files is None:
        files = {"sum": ("main.py", SOURCE)}
    with platform.http() as client:
        return client.post(f"/api/v1/assignments/{assignment}/submissions", data=data, files=files)


def multipart(data: Mapping[str, str], files: Files) -> tuple[bytes, str]:
    """A multipart body as httpx encodes it, and its Content-Type."""
    request = httpx.Request("POST", "http://x/", data=data, files=files)
    return request.read(), request.headers["content-type"]


def text_form(**fields: str) -> bytes:
    """A multipart body (boundary zzz) of text fields only: no file."""
    parts = [
        f'--zzz\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + "--zzz--\r\n").encode()


def raw_request(
    platform: Platform,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    content_type: str | None = None,
    content_length: int | None = None,
) -> tuple[int, dict[str, Any]]:
    """Send `path` exactly as written (no client normalises its dots) over http.client, with
    the Content-Length given (the body's own by default); the status and the JSON answer."""
    parts = urlsplit(platform.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.putheader("Authorization", f"Bearer {TEST_TOKEN}")
        if content_type is not None:
            conn.putheader("Content-Type", content_type)
        length = len(body) if content_length is None else content_length
        conn.putheader("Content-Length", str(length))
        conn.endheaders(body or None)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def refused(resp: httpx.Response, status: int, *words: str) -> str:
    """The refusal's message, checked: the status, our JSON error shape, each word in it."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json"), resp.text
    return error_message(resp.json(), *words)


def error_message(body: dict[str, Any], *words: str) -> str:
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"type", "message"} and error["type"], error
    message = str(error["message"])
    for word in words:
        assert word in message, message
    return message


def nothing_saved(platform: Platform) -> None:
    assert platform.system.store.submissions() == []
    assert platform.system.store.list() == []


def write_assignment(root: Path, ident: str, manifest: str) -> Path:
    folder = root / ident
    folder.mkdir()
    (folder / "assignment.toml").write_text(manifest, encoding="utf-8")
    return folder


# -- the assignment and its parts -------------------------------------------------------------


def test_an_unknown_assignment_is_a_404_naming_it(grid_api: Platform) -> None:
    refused(submit(grid_api, "no-such-course"), 404, "no assignment", "'no-such-course'")
    with grid_api.http() as client:
        refused(client.get("/api/v1/assignments/no-such-course"), 404, "'no-such-course'")
        history = client.get("/api/v1/assignments/no-such-course/learners/ada")
        refused(history, 404, "'no-such-course'")
    nothing_saved(grid_api)


@pytest.mark.parametrize(
    "segment, says",
    [
        ("..", "no assignment '..'"),
        ("%2e%2e", "no assignment '..'"),
        ("%2E%2E", "no assignment '..'"),
        (".", "no assignment '.'"),
        (".hidden", "no assignment '.hidden'"),
        ("sum%00", "no assignment 'sum\\x00'"),
        ("a/b", "no such endpoint: POST /api/v1/assignments/a/b/submissions"),
        ("a%2Fb", "no such endpoint"),
        ("..%2Fsum", "no such endpoint"),
        ("..%2F..%2Fetc", "no such endpoint"),
    ],
)
def test_path_traversal_in_the_assignment_id_finds_nothing(
    grid_api: Platform, segment: str, says: str
) -> None:
    body, content_type = multipart({"learner": "ada"}, {"sum": ("main.py", SOURCE)})
    path = f"/api/v1/assignments/{segment}/submissions"
    status, answer = raw_request(grid_api, "POST", path, body, content_type=content_type)
    assert status == 404, answer
    error_message(answer, says)
    status, answer = raw_request(grid_api, "GET", f"/api/v1/assignments/{segment}")
    assert status == 404, answer
    nothing_saved(grid_api)


def test_an_unknown_part_is_a_404_listing_the_known_ones(grid_api: Platform) -> None:
    files = {"painter": ("main.py", SOURCE), "wall": ("main.py", SOURCE)}
    message = refused(submit(grid_api, "wall-and-clock", files), 404, "no part 'wall'")
    assert "(parts: painter, clock)" in message
    nothing_saved(grid_api)


@pytest.mark.parametrize("filename", ["main.rb", "Makefile", "main.py.txt", "main.", ".py"])
def test_a_file_whose_suffix_names_no_language_is_refused(
    grid_api: Platform, filename: str
) -> None:
    message = refused(
        submit(grid_api, files={"sum": (filename, SOURCE)}),
        422,
        "part 'sum'",
        f"cannot tell the language of {filename!r}",
    )
    for suffix in (".c", ".cpp", ".java", ".py"):
        assert suffix in message  # the suffixes it knows
    nothing_saved(grid_api)


@pytest.mark.parametrize("filename, language", [("Main.java", "java"), ("main.cpp", "cpp")])
def test_a_language_the_part_does_not_take_is_refused(
    grid_api: Platform, filename: str, language: str
) -> None:
    # scripted's one part takes c and python only
    resp = submit(grid_api, "scripted", {"square": (filename, b"int main() {}\n")})
    refused(resp, 422, f"part 'square' takes c, python, not {language} ({filename})")
    nothing_saved(grid_api)


def test_a_part_restricted_to_python_refuses_c_in_an_assignment_added_while_running(
    grid_api: Platform,
) -> None:
    folder = write_assignment(
        grid_api.assignments,
        "python-only",
        """
title = "Python only"
statement = "statement.md"
pass_mark = 1

[[parts]]
id = "hello"
points = 1
languages = ["python"]
time_limit_ms = 1000
memory_limit_kb = 65536
tests = "tests"
""",
    )
    (folder / "statement.md").write_text("# Hello\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "one.in").write_text("")
    (folder / "tests" / "one.out").write_text("hello\n")
    resp = submit(grid_api, "python-only", {"hello": ("main.c", b"int main(void) {}\n")})
    refused(resp, 422, "part 'hello' takes python, not c (main.c)")
    nothing_saved(grid_api)


def test_an_assignment_with_a_broken_manifest_refuses_submissions_saying_why(
    grid_api: Platform,
) -> None:
    write_assignment(grid_api.assignments, "broken", 'title = "No parts yet"\npass_mark = 1\n')
    resp = submit(grid_api, "broken", {"x": ("main.py", SOURCE)})
    refused(resp, 422, "the assignment is not valid", "at least one part is needed")
    nothing_saved(grid_api)


# -- sizes ----------------------------------------------------------------------------------


def test_a_file_over_the_per_file_limit_is_a_413_naming_the_part(grid_api: Platform) -> None:
    files = {"sum": ("main.py", b"#" * (MAX_SOURCE + 1))}
    refused(
        submit(grid_api, files=files),
        413,
        f"the file for part 'sum' is larger than the limit of {MAX_SOURCE} bytes",
    )
    nothing_saved(grid_api)


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    grid_api: Platform,
) -> None:
    assert grid_api.system.submissions is not None
    limit = _max_body(grid_api.system.submissions)
    status, answer = raw_request(
        grid_api,
        "POST",
        "/api/v1/assignments/sum/submissions",
        content_type="multipart/form-data; boundary=x",
        content_length=limit + 1,  # and no body is sent at all
    )
    assert status == 413, answer
    error_message(answer, f"the request body is larger than the limit of {limit} bytes")
    nothing_saved(grid_api)


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(grid_api: Platform) -> None:
    assert grid_api.system.submissions is not None
    limit = _max_body(grid_api.system.submissions)
    chunk = b"-" * (64 * KIB)

    def body() -> Iterator[bytes]:
        sent = 0
        while sent <= limit:
            yield chunk
            sent += len(chunk)

    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/sum/submissions",
            content=body(),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
    assert "content-length" not in resp.request.headers
    assert resp.request.headers["transfer-encoding"] == "chunked"
    refused(resp, 413, f"the request body is larger than the limit of {limit} bytes")
    nothing_saved(grid_api)


def test_more_files_than_parts_allowed_are_refused(grid_api: Platform) -> None:
    files = [(f"part{i}", ("main.py", SOURCE)) for i in range(MAX_PARTS + 1)]
    refused(
        submit(grid_api, files=files), 422, "malformed", f"Maximum number of files is {MAX_PARTS}"
    )
    nothing_saved(grid_api)


# -- the learner ----------------------------------------------------------------------------


def test_a_missing_learner_is_refused(grid_api: Platform) -> None:
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/sum/submissions", files={"sum": ("main.py", SOURCE)}
        )
    refused(resp, 422, "the form field 'learner' is missing")
    nothing_saved(grid_api)


@pytest.mark.parametrize(
    "learner, says",
    [
        ("", "learner must be 1 to 200 characters without surrounding blanks"),
        (" ada", "without surrounding blanks"),
        ("ada ", "without surrounding blanks"),
        ("ada\n", "without surrounding blanks"),
        ("a" * 201, "learner must be 1 to 200 characters"),
        ("a" * 5000, "Part exceeded maximum size"),  # over a form field's 4 KiB
        ("ada\x07", "learner may not hold control characters or '/'"),
        ("ad\x00a", "control characters"),
        ("a\tda", "control characters"),
        ("a\u200bda", "control characters"),  # a zero-width space: invisible in any listing
        ("ada/../bob", "learner may not hold control characters or '/'"),
    ],
)
def test_a_wrong_learner_is_refused_saying_what_a_learner_may_be(
    grid_api: Platform, learner: str, says: str
) -> None:
    refused(submit(grid_api, learner=learner), 422, says)
    nothing_saved(grid_api)


def test_a_learner_given_twice_is_refused(grid_api: Platform) -> None:
    body, content_type = multipart({"learner": "ada"}, {"sum": ("main.py", SOURCE)})
    boundary = content_type.partition("boundary=")[2].encode()
    extra = b'--%s\r\nContent-Disposition: form-data; name="learner"\r\n\r\nbob\r\n' % boundary
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/sum/submissions",
            content=extra + body,
            headers={"Content-Type": content_type},
        )
    refused(resp, 422, "the field 'learner' is given twice")
    nothing_saved(grid_api)


# -- the shape of the body ------------------------------------------------------------------


def test_a_json_body_is_refused_saying_to_send_multipart(grid_api: Platform) -> None:
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/sum/submissions",
            json={"learner": "ada", "sum": SOURCE.decode()},
        )
    refused(resp, 422, "send multipart/form-data", "'learner'", "one file per part")
    nothing_saved(grid_api)


@pytest.mark.parametrize(
    "content_type, body, says",
    [
        ("multipart/form-data", b"learner=ada", "has no boundary"),
        (TEXT_FORM, b"this is not multipart at all", "ends before its last boundary"),
        (
            TEXT_FORM,
            b"--zzz\r\nContent-Disposition: form-data\r\n\r\nada\r\n--zzz--\r\n",
            '"name" must be provided',
        ),
        (
            TEXT_FORM,
            b"--zzz\r\nnot a header line\r\n\r\nada\r\n--zzz--\r\n",
            "Invalid",
        ),
    ],
)
def test_a_malformed_multipart_body_is_refused(
    grid_api: Platform, content_type: str, body: bytes, says: str
) -> None:
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/sum/submissions",
            content=body,
            headers={"Content-Type": content_type},
        )
    refused(resp, 422, "the multipart body is malformed", says)
    nothing_saved(grid_api)


def test_a_body_cut_before_its_closing_boundary_is_refused_as_malformed(
    grid_api: Platform,
) -> None:
    body = (
        b'--zzz\r\nContent-Disposition: form-data; name="learner"\r\n\r\nada\r\n'
        b'--zzz\r\nContent-Disposition: form-data; name="painter"; filename="main.py"\r\n\r\n'
        b"print(1)\r\n"
        b'--zzz\r\nContent-Disposition: form-data; name="clock"; filename="main.py"\r\n\r\n'
        b"print(2)"  # the clock's file is cut here: no CRLF, no --zzz--
    )
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/wall-and-clock/submissions",
            content=body,
            headers={"Content-Type": TEXT_FORM},
        )
    refused(resp, 422, "the multipart body is malformed")
    nothing_saved(grid_api)


def test_the_media_type_is_case_insensitive(grid_api: Platform) -> None:
    body, content_type = multipart({"learner": "ada"}, {"sum": ("main.py", SOURCE)})
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/sum/submissions",
            content=body,
            headers={
                "Content-Type": content_type.replace("multipart/form-data", "Multipart/Form-Data")
            },
        )
    assert resp.status_code == 202, resp.text


def test_the_same_part_twice_is_refused(grid_api: Platform) -> None:
    files = [("sum", ("a.py", SOURCE)), ("sum", ("b.py", SOURCE))]
    refused(submit(grid_api, files=files), 422, "the field 'sum' is given twice")
    nothing_saved(grid_api)


def test_an_unknown_text_field_is_refused_naming_it(grid_api: Platform) -> None:
    resp = submit(grid_api, nickname="ada-lovelace")
    refused(resp, 422, "unknown form field 'nickname'", "learner and callback_url")
    nothing_saved(grid_api)


def test_a_part_sent_as_text_rather_than_a_file_is_refused(grid_api: Platform) -> None:
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/sum/submissions",
            content=text_form(learner="ada", sum=SOURCE.decode()),
            headers={"Content-Type": TEXT_FORM},
        )
    refused(resp, 422, "unknown form field 'sum'", "parts are uploaded as files")
    nothing_saved(grid_api)


def test_no_file_at_all_is_refused_naming_the_parts(grid_api: Platform) -> None:
    with grid_api.http() as client:
        resp = client.post(
            "/api/v1/assignments/wall-and-clock/submissions",
            content=text_form(learner="ada"),
            headers={"Content-Type": TEXT_FORM},
        )
    refused(resp, 422, "no file uploaded", "(painter, clock)")
    nothing_saved(grid_api)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/iguazu",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http:///no-host",
        "https://",
        "hooks.example.com/iguazu",
        "",
        "https://hooks.example.com/" + "a" * 2000,
    ],
)
def test_a_callback_url_that_is_not_http_with_a_host_is_refused(
    grid_api: Platform, url: str
) -> None:
    refused(
        submit(grid_api, callback_url=url),
        422,
        "callback_url must be an http(s) URL with a host",
    )
    nothing_saved(grid_api)


def test_a_request_without_the_token_is_refused(grid_api: Platform) -> None:
    resp = httpx.post(
        f"{grid_api.url}/api/v1/assignments/sum/submissions",
        data={"learner": "ada"},
        files={"sum": ("main.py", SOURCE)},
    )
    refused(resp, 401, "needs a token")
    nothing_saved(grid_api)


# -- accepted: queued for grading -----------------------------------------------------------


def test_a_submission_is_accepted_at_once_queued_with_its_grading_invocation(
    grid_api: Platform,
) -> None:
    resp = submit(grid_api, files={"sum": ("main.py", SOURCE)})
    assert resp.status_code == 202, resp.text
    sub = resp.json()
    assert resp.headers["location"] == f"/api/v1/submissions/{sub['id']}"
    assert sub["id"] and sub["state"] == "QUEUED"
    assert (sub["assignment"], sub["learner"]) == ("sum", "ada")
    assert sub["parts"] == [{"part": "sum", "filename": "main.py", "language": "python",
                             "size": len(SOURCE)}]  # fmt: skip
    assert (sub["total"], sub["pass_mark"]) == (100, 60)
    assert sub["score"] is None and sub["passed"] is None and sub["result"] is None
    assert sub["graded_at"] is None and sub["error"] is None

    [inv] = grid_api.system.store.list()
    assert inv.id == sub["invocation_id"]
    assert (inv.family, inv.job_name, inv.state) == ("grid", "grade", State.QUEUED)
    assert (inv.queue, inv.priority) == ("grading", 20)
    assert inv.requires == ("sandbox",)
    assert inv.parameters == {"submission_id": sub["id"]}

    with grid_api.http() as client:
        got = client.get(resp.headers["location"])
        assert got.status_code == 200
        assert got.json() == sub
        listed = client.get("/api/v1/submissions", params={"learner": "ada"}).json()
    assert [s["id"] for s in listed["submissions"]] == [sub["id"]]
    assert grid_api.system.submissions is not None
    assert grid_api.system.submissions.files(sub["id"]) == {"sum": SOURCE}


def test_every_part_is_stored_as_uploaded_with_its_own_language(grid_api: Platform) -> None:
    painter = b'#include <cstdio>\nint main() { puts("0"); }\n'
    clock = b"print(1)\n"
    files = {"painter": ("main.cpp", painter), "clock": ("clock.py", clock)}
    resp = submit(grid_api, "wall-and-clock", files)
    assert resp.status_code == 202, resp.text
    sub = resp.json()
    languages = {p["part"]: (p["filename"], p["language"], p["size"]) for p in sub["parts"]}
    assert languages == {
        "painter": ("main.cpp", "cpp", len(painter)),
        "clock": ("clock.py", "python", len(clock)),
    }
    assert grid_api.system.submissions is not None
    assert grid_api.system.submissions.files(sub["id"]) == {"painter": painter, "clock": clock}


@pytest.mark.parametrize(
    "given", ["../../x/main.py", "/etc/cron.d/main.py", "..\\..\\x\\main.py", "C:\\tmp\\main.py"]
)
def test_a_file_name_with_directories_is_stored_as_its_base_name(
    grid_api: Platform, given: str
) -> None:
    resp = submit(grid_api, files={"sum": (given, SOURCE)})
    assert resp.status_code == 202, resp.text
    [part] = resp.json()["parts"]
    assert (part["filename"], part["language"]) == ("main.py", "python")
    stored = grid_api.system.store.submission(resp.json()["id"])
    assert [p.filename for p in stored.parts] == ["main.py"]


def test_a_source_that_is_not_utf8_is_kept_byte_for_byte(grid_api: Platform) -> None:
    source = b"# \xff\xfe caf\xe9 \x00\x80\nprint(3)\r\n"
    resp = submit(grid_api, files={"sum": ("main.py", source)})
    assert resp.status_code == 202, resp.text
    assert resp.json()["parts"][0]["size"] == len(source)
    assert grid_api.system.submissions is not None
    assert grid_api.system.submissions.files(resp.json()["id"]) == {"sum": source}


def test_a_file_of_exactly_the_limit_and_a_long_non_ascii_learner_are_accepted(
    grid_api: Platform,
) -> None:
    source = b"#" * (MAX_SOURCE - 1) + b"\n"
    learner = "学" * 200  # 200 characters, 600 bytes
    resp = submit(grid_api, files={"sum": ("主程序.py", source)}, learner=learner)
    assert resp.status_code == 202, resp.text
    sub = resp.json()
    assert sub["learner"] == learner
    assert sub["parts"][0]["filename"] == "主程序.py"
    assert grid_api.system.submissions is not None
    assert grid_api.system.submissions.files(sub["id"]) == {"sum": source}


def test_an_http_callback_url_is_accepted_and_shown(grid_api: Platform) -> None:
    url = "https://hooks.example.com/iguazu?course=ml"
    resp = submit(grid_api, callback_url=url)
    assert resp.status_code == 202, resp.text
    assert (resp.json()["callback_url"], resp.json()["callback_status"]) == (url, None)


# -- assignments --------------------------------------------------------------------------


def test_the_assignments_are_listed_with_their_parts_points_and_pass_marks(
    grid_api: Platform,
) -> None:
    with grid_api.http() as client:
        body = client.get("/api/v1/assignments").json()
    assert body["broken"] == {}
    found = {a["id"]: a for a in body["assignments"]}
    assert sorted(found) == ["scripted", "split", "sum", "wall-and-clock"]
    wall = found["wall-and-clock"]
    assert (wall["total"], wall["pass_mark"]) == (100, 80)
    assert [(p["id"], p["points"]) for p in wall["parts"]] == [("painter", 50), ("clock", 50)]
    assert wall["parts"][0]["visible_tests"] == ["sample"]
    assert "画家问题" in wall["title"]
    assert found["scripted"]["parts"][0]["languages"] == ["c", "python"]
    assert found["scripted"]["parts"][0]["tests"] == 0  # a grader script decides
    assert (found["sum"]["total"], found["sum"]["pass_mark"]) == (100, 60)
    assert all(a["statements"] == {} for a in body["assignments"])  # only one by one


def test_a_broken_manifest_is_listed_with_its_problem_and_hides_no_other(
    grid_api: Platform,
) -> None:
    write_assignment(grid_api.assignments, "broken", 'title = "Half written"\npass_mark = 1\n')
    write_assignment(grid_api.assignments, "not-toml", "title = \n")
    with grid_api.http() as client:
        body = client.get("/api/v1/assignments").json()
    assert sorted(a["id"] for a in body["assignments"]) == [
        "scripted",
        "split",
        "sum",
        "wall-and-clock",
    ]
    assert sorted(body["broken"]) == ["broken", "not-toml"]
    assert "parts: at least one part is needed" in body["broken"]["broken"]
    assert "statement" in body["broken"]["broken"]
    assert "assignment.toml" in body["broken"]["not-toml"]


def test_one_assignment_comes_with_its_statements_in_markdown(grid_api: Platform) -> None:
    with grid_api.http() as client:
        sum_ = client.get("/api/v1/assignments/sum").json()
        wall = client.get("/api/v1/assignments/wall-and-clock").json()
    folder = grid_api.assignments / "sum"
    assert sum_["statements"] == {
        "en": (folder / "statement.en.md").read_text(encoding="utf-8"),
        "zh": (folder / "statement.zh.md").read_text(encoding="utf-8"),
    }
    assert sum_["statements"]["en"].startswith("# A plus B")
    assert sorted(wall["statements"]) == ["en", "zh"]
    assert [p["id"] for p in wall["parts"]] == ["painter", "clock"]


# -- reading submissions that are not graded ------------------------------------------------


def test_an_unknown_submission_is_a_404(grid_api: Platform) -> None:
    with grid_api.http() as client:
        refused(client.get("/api/v1/submissions/nope123"), 404, "no submission nope123")
        refused(client.get("/api/v1/submissions/nope123/export"), 404, "no submission nope123")


def test_a_queued_submission_has_no_export_yet(grid_api: Platform) -> None:
    sub_id = submit(grid_api).json()["id"]
    with grid_api.http() as client:
        for fmt in ("coursera", "gradescope"):
            resp = client.get(f"/api/v1/submissions/{sub_id}/export", params={"format": fmt})
            refused(resp, 422, f"submission {sub_id} is QUEUED, not GRADED")
        resp = client.get(f"/api/v1/submissions/{sub_id}/export", params={"format": "xml"})
        refused(resp, 422, "format")


def test_a_cancelled_grading_leaves_the_submission_in_error_saying_so(
    grid_api: Platform,
) -> None:
    sub = submit(grid_api).json()
    grid_api.system.batch.cancel(sub["invocation_id"])
    with grid_api.http() as client:
        got = client.get(f"/api/v1/submissions/{sub['id']}").json()
        assert got["state"] == "ERROR"
        assert "CANCELLED" in got["error"] and "without a result" in got["error"]
        assert got["score"] is None and got["graded_at"] is not None
        export = client.get(f"/api/v1/submissions/{sub['id']}/export")
        refused(export, 422, "is ERROR, not GRADED")
        history = client.get("/api/v1/assignments/sum/learners/ada").json()
    assert [s["state"] for s in history["submissions"]] == ["ERROR"]
    assert history["best"] is None and history["passed"] is False


def test_the_listing_agrees_with_the_submission_once_its_grading_is_cancelled(
    grid_api: Platform,
) -> None:
    sub = submit(grid_api).json()
    grid_api.system.batch.cancel(sub["invocation_id"])
    with grid_api.http() as client:
        listed = client.get("/api/v1/submissions").json()["submissions"]
    assert [s["state"] for s in listed] == ["ERROR"]


def test_the_history_of_a_learner_with_only_queued_submissions(grid_api: Platform) -> None:
    first = submit(grid_api).json()["id"]
    second = submit(grid_api, files={"sum": ("main.c", b"int main(void) { return 0; }\n")})
    assert second.status_code == 202, second.text
    submit(grid_api, learner="bob")
    with grid_api.http() as client:
        history = client.get("/api/v1/assignments/sum/learners/ada").json()
        nobody = client.get("/api/v1/assignments/sum/learners/nobody").json()
    assert (history["assignment"], history["learner"]) == ("sum", "ada")
    assert [s["id"] for s in history["submissions"]] == [second.json()["id"], first]
    assert {s["state"] for s in history["submissions"]} == {"QUEUED"}
    assert (history["best"], history["latest"], history["passed"]) == (None, None, False)
    assert (history["total"], history["pass_mark"]) == (100, 60)
    assert nobody["submissions"] == [] and nobody["passed"] is False


# -- a server that grades nothing -----------------------------------------------------------


def test_without_assignments_the_grading_routes_say_grading_is_not_configured(
    tmp_path: Path,
) -> None:
    settings = Settings(
        data_dir=tmp_path / "var", job_modules=("iguazu.examples",), api_token=TEST_TOKEN
    )
    system = System(settings)
    url, stop = _run_uvicorn(system.app())
    try:
        headers = {"Authorization": f"Bearer {TEST_TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            for resp in (
                client.get("/api/v1/assignments"),
                client.get("/api/v1/assignments/sum"),
                client.get("/api/v1/submissions"),
                client.post(
                    "/api/v1/assignments/sum/submissions",
                    data={"learner": "ada"},
                    files={"sum": ("main.py", SOURCE)},
                ),
            ):
                refused(resp, 404, "no grading configured on this server", "assignments_dir")
        assert system.store.submissions() == [] and system.store.list() == []
    finally:
        stop()
        system.stop()


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::1]", "169.254.169.254", "10.0.0.7", "api.localhost"]
)
def test_a_callback_into_our_own_network_is_refused_at_once(tmp_path: Path, host: str) -> None:
    """The default: webhook_private_hosts is off (the other tests turn it on for their
    loopback receivers). Names are resolved only when delivering."""
    platforms = _platform(tmp_path, dispatch=False, webhook_private_hosts=False)
    platform = next(platforms)
    try:
        refused(
            submit(platform, callback_url=f"http://{host}:8080/graded"),
            422,
            "callback_url may not point at",
            "not a public address",
        )
        nothing_saved(platform)
        assert submit(platform, callback_url="https://hooks.example.com/x").status_code == 202
    finally:
        platforms.close()
