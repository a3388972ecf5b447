"""The report's PDF carries its Chinese: the Noto CJK fonts are embedded (as subsets), and the title's glyphs, rendered
from the PDF to pixels with pdfium, are the characters themselves — not the empty boxes (tofu) a missing font gives.

Each title character is cut out of the rendered page by its box and compared, by the overlap of ink, with the same
character drawn by Pillow in Noto Sans CJK SC Bold; a drawn box and a different character are the controls that show
the comparison tells them apart. Without the fonts (Debian fonts-noto-cjk, `make browser`) the test skips, unless
ANXIN_REQUIRE_BROWSER=1 (CI) asks it to fail.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from tests.report_samples import sample_report

from anxin.reports import rendering
from anxin.reports.render_html import document
from anxin.reports.render_pdf import FontsMissing, cjk_font, pdf

pdfium = pytest.importorskip("pypdfium2")
raw = pytest.importorskip("pypdfium2.raw")

SCALE = 4  # 288 dpi: a 20pt title glyph is ~80 px high
SIDE = 40  # glyphs are compared at SIDE × SIDE
SUBSET = re.compile(r"^[A-Z]{6}\+Noto.?Sans.?CJK.?SC")


def _need_fonts() -> None:
    if cjk_font() is None:
        why = "no Noto CJK font (apt-get install fonts-noto-cjk, or make browser)"
        if os.environ.get("ANXIN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{why} (ANXIN_REQUIRE_BROWSER=1)")
        pytest.skip(why)


def _bold_face() -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC Bold as Pillow draws it: the SC face of the collection fontconfig names."""
    found = ""
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":family=Noto Sans CJK SC:style=Bold", "file"], capture_output=True,
                               text=True, check=False).stdout.strip().splitlines()[0].rstrip(":")
    path = found or str(cjk_font()).replace("Regular", "Bold")
    for index in range(12):
        try:
            face = ImageFont.truetype(path, 120, index=index)
        except OSError:
            break
        if face.getname()[0] == "Noto Sans CJK SC":
            return face
    pytest.fail(f"no Noto Sans CJK SC face in {path}")


def _ink(image: Image.Image) -> np.ndarray:
    """The glyph's dark pixels, cropped to their bounding box and scaled to SIDE × SIDE."""
    dark = np.array(image.convert("L")) < 128
    ys, xs = np.nonzero(dark)
    if not len(xs):
        return np.zeros((SIDE, SIDE), dtype=bool)
    cut = Image.fromarray(((~dark[ys.min():ys.max() + 1, xs.min():xs.max() + 1]) * 255).astype(np.uint8))
    return np.array(cut.resize((SIDE, SIDE))) < 128


def _drawn(text: str, face: ImageFont.FreeTypeFont) -> np.ndarray:
    canvas = Image.new("L", (180, 180), 255)
    ImageDraw.Draw(canvas).text((20, 10), text, font=face, fill=0)
    return _ink(canvas)


def _tofu() -> np.ndarray:
    canvas = Image.new("L", (100, 120), 255)
    ImageDraw.Draw(canvas).rectangle((10, 10, 90, 110), outline=0, width=6)
    return _ink(canvas)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _fonts(doc) -> set[tuple[str, bool]]:
    """(base font name, embedded) of every text object on every page."""
    out = set()
    for page in doc:
        for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
            font = raw.FPDFTextObj_GetFont(obj.raw)
            buf = ctypes.create_string_buffer(256)
            raw.FPDFFont_GetBaseFontName(font, buf, 256)
            out.add((buf.value.decode("latin-1"), bool(raw.FPDFFont_GetIsEmbedded(font))))
    return out


@pytest.fixture(scope="module")
def printed() -> bytes:
    _need_fonts()
    return pdf(document(sample_report(), "zh-CN"))


def test_the_pdf_embeds_noto_cjk_subsets(printed: bytes) -> None:
    assert printed.startswith(b"%PDF-")
    doc = pdfium.PdfDocument(printed)
    fonts = _fonts(doc)
    cjk = {name for name, embedded in fonts if SUBSET.match(name)}
    assert cjk, f"no Noto Sans CJK SC subset among {sorted(fonts)}"
    assert all(embedded for _, embedded in fonts), f"a font is not embedded: {sorted(fonts)}"
    # every Chinese character of every page is set in the Noto CJK subset, none in a fallback font
    for page in doc:
        text = page.get_textpage()
        for i, ch in enumerate(text.get_text_range()):
            if "\u4e00" <= ch <= "\u9fff":
                buf, flags = ctypes.create_string_buffer(256), ctypes.c_int()
                raw.FPDFText_GetFontInfo(text.raw, i, buf, 256, ctypes.byref(flags))
                assert SUBSET.match(buf.value.decode("latin-1")), (ch, buf.value)


def test_the_chinese_title_renders_as_its_glyphs_not_boxes(printed: bytes) -> None:
    doc = pdfium.PdfDocument(printed)
    page = doc[0]
    text = page.get_textpage()
    title = "服务体验报告"
    assert text.get_text_range().startswith(title + " · 2026年11月")
    image = page.render(scale=SCALE).to_pil().convert("L")
    face, tofu = _bold_face(), _tofu()
    rendered = {}
    for i, ch in enumerate(title):
        left, bottom, right, top = text.get_charbox(i)
        box = (int(left * SCALE), int(image.height - top * SCALE), int(right * SCALE) + 1,
               int(image.height - bottom * SCALE) + 1)
        rendered[ch] = _ink(image.crop(box))
        assert rendered[ch].mean() > 0.1, f"{ch}: no ink where the title's glyph is"
        same = _overlap(rendered[ch], _drawn(ch, face))
        assert same > 0.75, f"{ch}: the rendered glyph is not the character (overlap {same:.2f})"
        assert _overlap(rendered[ch], tofu) < 0.3, f"{ch}: the rendered glyph looks like a missing-glyph box"
    # the controls: a box, or another character, is not taken for the glyph
    assert _overlap(tofu, _drawn("服", face)) < 0.3
    assert _overlap(rendered["服"], _drawn("国", face)) < 0.75
    assert len({r.tobytes() for r in rendered.values()}) == len(title)  # six different shapes, not one box six times


def test_the_pdf_is_a_format_of_the_report(printed: bytes) -> None:
    done = rendering.render(sample_report(), "pdf", "en")
    assert done.media_type == "application/pdf" and done.filename.endswith(".pdf")
    first = pdfium.PdfDocument(done.body)[0].get_textpage().get_text_range()
    assert first.startswith("Service-experience report · November 2026")


def test_without_the_font_no_pdf_is_made(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from anxin.reports import render_pdf

    monkeypatch.setattr(render_pdf, "cjk_font", lambda: None)
    with pytest.raises(FontsMissing, match="fonts-noto-cjk"):
        render_pdf.pdf("<!doctype html><p>服务</p>")


def test_printing_leaves_pillow_refusing_truncated_images(printed: bytes) -> None:
    """WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on import; the evidence checks need it off."""
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
