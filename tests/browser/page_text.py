"""What a person reads on a page: the tests that look for raw codes and untranslated words read it here."""

from __future__ import annotations

# Visible text nodes outside ``skip`` (<code> shows ids as ids on purpose; SVG, scripts and styles are not prose).
_VISIBLE = """(skip) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest(skip)) continue;
    if (!n.parentElement.checkVisibility()) continue;
    const text = n.textContent.trim();
    if (text) out.push(text);
  }
  return out.join(' ');
}"""


def visible_text(page, *, options: bool = True) -> str:
    """The page's visible text, joined by spaces; ``options=False`` leaves out the choices of a <select> too."""
    return page.evaluate(_VISIBLE, "code, svg, script, style" + ("" if options else ", option"))
