"""Compile the gettext message catalogs (``.po`` sources → ``.mo`` the pages load); see docs/i18n.md.

    python -m tools.catalogs            # compile every catalog whose .mo is missing or differs (make setup runs it)
    python -m tools.catalogs compile    # the same
    python -m tools.catalogs --check    # exit 1 if a .mo is missing or stale (nothing is written)

Catalogs live beside their context: ``src/anxin/<context>/locale/<lang>/LC_MESSAGES/messages.po``. This module
needs only Babel (not anxin), so a build hook can run it before the package is importable.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "anxin"


def sources(package: Path = PACKAGE) -> Iterator[Path]:
    yield from sorted(package.glob("*/locale/*/LC_MESSAGES/*.po"))


def compiled(po: Path) -> bytes:
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parents[1].name, domain=po.stem)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def run(*, check: bool, package: Path = PACKAGE) -> list[Path]:
    """The .mo files that were (or, checking, would be) written."""
    changed = []
    for po in sources(package):
        mo, data = po.with_suffix(".mo"), compiled(po)
        if mo.is_file() and mo.read_bytes() == data:
            continue
        changed.append(mo)
        if not check:
            mo.write_bytes(data)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.catalogs", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["compile"], default="compile")
    parser.add_argument("--check", action="store_true", help="exit 1 if a compiled catalog is missing or stale")
    args = parser.parse_args(argv)
    changed = run(check=args.check)
    for mo in changed:
        print(("stale: " if args.check else "compiled: ") + str(mo.relative_to(ROOT)))
    if args.check and changed:
        print("compile them with: python -m tools.catalogs compile", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
