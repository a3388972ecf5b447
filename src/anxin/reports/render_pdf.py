"""The report as a PDF: the standalone HTML document (``render_html.document``) printed by WeasyPrint on A4 pages,
with Noto Sans CJK embedded (as a subset of the glyphs used), so the Chinese reads on a machine without the font.

The font comes from the system (Debian: fonts-noto-cjk; ``make browser`` installs it). Without it WeasyPrint would
fall back to whatever font it finds and print boxes for the Chinese, so ``pdf`` refuses instead (``FontsMissing``).
Nothing is fetched while printing: the document links to nothing, and any URL it might name is refused.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

FAMILY = "Noto Sans CJK SC"
# Where Debian and most distributions put the font when fontconfig's fc-list is not there to ask.
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts",
             Path.home() / ".fonts")
FONT_FILES = ("NotoSansCJK*.tt[cf]", "NotoSansCJKsc-*.otf", "NotoSansSC-*.otf")
INSTALL_HINT = "install the Noto CJK fonts (Debian: apt-get install fonts-noto-cjk, or `make browser`)"

PAGE_CSS = """
@page { size: A4; margin: 14mm 13mm 16mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #6b7280;
                   font-family: "Noto Sans CJK SC", sans-serif; } }
body.rp-doc { font-size: 10pt; }
.rp-page { max-width: none; margin: 0; padding: 0; }
.rp-report h1.rp-title { font-size: 20pt; }
"""


class FontsMissing(RuntimeError):
    """No Noto CJK font on this machine: a PDF would show boxes for every Chinese character."""


@functools.cache
def cjk_font() -> Path | None:
    """The file of the Noto Sans CJK SC face, as fontconfig (or, without fc-list, a look in the font folders)
    finds it; None when the machine has none."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            found = subprocess.run([fc_list, f":family={FAMILY}", "file"], capture_output=True, text=True,
                                   timeout=20, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            found = ""
        files = sorted(line.strip().rstrip(":") for line in found.splitlines() if line.strip())
        if files:
            return Path(files[0])
    for folder in FONT_DIRS:
        if folder.is_dir():
            for pattern in FONT_FILES:
                hit = next(iter(sorted(folder.rglob(pattern))), None)
                if hit is not None:
                    return hit
    return None


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the report links to nothing; refusing to fetch {url[:80]!r}")


def _weasyprint() -> Any:
    """WeasyPrint, imported so that it leaves Pillow as it was: on import it sets Pillow's process-wide
    ``ImageFile.LOAD_TRUNCATED_IMAGES``, which would make risk's image hashing accept cut-off evidence pictures.
    The report holds no image, so WeasyPrint does not need it."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return weasyprint


def pdf(html: str) -> bytes:
    """Print a standalone report document to PDF bytes, fonts embedded."""
    if cjk_font() is None:
        raise FontsMissing(f"no {FAMILY} font on this machine: {INSTALL_HINT}")
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, url_fetcher=_refuse)
    return document.write_pdf(stylesheets=[weasyprint.CSS(string=PAGE_CSS)])  # type: ignore[no-any-return]
