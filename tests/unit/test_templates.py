"""Page templates live with their context and are found through the list of contexts; every name used resolves."""

from __future__ import annotations

import re
from pathlib import Path

import anxin
from anxin.contexts import CONTEXTS, template_dirs
from anxin.web.render import templates

SRC = Path(anxin.__file__).parent
SHELL = {"base.html", "macros.html", "error.html", "login.html", "home.html"}
RENDERED = re.compile(r'render\(\s*request,\s*"([^"]+\.html)"')
USED_IN_TEMPLATE = re.compile(r'{%-?\s*(?:extends|import|include|from)\s+"([^"]+\.html)"')


def used_names() -> set[tuple[str, str]]:
    found = {(str(p.relative_to(SRC)), name) for p in SRC.rglob("*.py") for name in RENDERED.findall(p.read_text())}
    found |= {(str(p.relative_to(SRC)), name) for p in SRC.rglob("templates/*.html")
              for name in USED_IN_TEMPLATE.findall(p.read_text())}
    return found


def test_every_template_name_used_resolves() -> None:
    known = set(templates.env.list_templates())
    used = used_names()
    assert len(used) > 30, "the scan should find the render calls and the templates' imports"
    assert sorted((where, name) for where, name in used if name not in known) == []


def test_the_shell_keeps_only_its_own_templates() -> None:
    shell = SRC / "web" / "templates"
    assert {str(p.relative_to(shell)) for p in shell.rglob("*.html")} == SHELL


def test_context_templates_are_named_after_their_context() -> None:
    dirs = template_dirs()
    assert set(dirs) <= {ctx.name for ctx in CONTEXTS} and {"aftersales", "risk", "merchants"} <= set(dirs)
    for name, path in dirs.items():
        for file in path.rglob("*.html"):
            assert f"{name}/{file.relative_to(path)}" in templates.env.list_templates()
