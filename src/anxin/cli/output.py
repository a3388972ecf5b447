"""How the JSON-printing commands answer: the result as indented JSON, or the error's stable code on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from anxin.core.errors import AnxinError


def emit(call: Callable[[], Any]) -> None:
    """Run ``call``; print what it returns, or ``error [code]: message`` and exit 2 for a refused request."""
    try:
        result = call()
    except AnxinError as exc:
        click.echo(f"error [{exc.code.value}]: {exc.message}", err=True)
        sys.exit(2)
    click.echo(json.dumps(result, default=str, ensure_ascii=False, indent=2))
