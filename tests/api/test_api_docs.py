"""The problem-details examples in docs/api.md are run against the app: each request block is sent as written and
the answer must be the response block that follows it — status, the headers shown and the whole body."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.api.problems import problem

pytestmark = pytest.mark.db
DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROLES = {"<operator>": "operator", "<consumer>": "c1", "<platform>": "platform"}


def examples() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Errors: problem details"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```http\n(.*?)```", section, re.S)
    assert len(blocks) % 2 == 0, "each request block is followed by its response block"
    return list(zip(blocks[::2], blocks[1::2], strict=True))


def split(block: str) -> tuple[str, dict[str, str], str]:
    head, _, body = block.partition("\n\n")
    first, *lines = head.strip().splitlines()
    headers = dict(line.split(": ", 1) for line in lines)
    return first, headers, body.strip()


def test_the_docs_show_examples():
    shown = examples()
    assert len(shown) >= 5
    codes = {json.loads(split(response)[2])["code"] for _, response in shown}
    assert {"aftersales.case_not_found", "access.unauthenticated", "request.invalid"} <= codes


@pytest.mark.parametrize("request_block, response_block", examples(),
                         ids=lambda block: block.splitlines()[0][:40])
def test_a_documented_example_answers_as_documented(client, keys, request_block, response_block):
    first, headers, body = split(request_block)
    method, path, _ = first.split(" ")
    auth = headers.pop("Authorization", None)
    if auth is not None:
        headers.update(keys[ROLES[auth.removeprefix("Bearer ")]])
    resp = client.request(method, path, headers=headers, content=body.encode() if body else None)

    status_line, expected_headers, expected_body = split(response_block)
    assert resp.status_code == int(status_line.split(" ")[1]), resp.text
    for name, value in expected_headers.items():
        assert resp.headers[name] == value, name
    assert problem(resp) == json.loads(expected_body)
