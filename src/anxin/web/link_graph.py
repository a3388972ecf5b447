"""A linked-accounts graph as inline SVG, drawn on the server (no JavaScript, nothing fetched at view time).

A simple radial layout, deterministic like ``anxin.web.charts``: the subject in the centre, its attribute values
(device, phone, payment, address …) on an inner circle, the accounts sharing them on an outer circle. A hub value
(shared by so many accounts that it links nobody: a campus address, a carrier's NAT address) is drawn dashed and
never expanded. Classes (``lg-*``) are styled by ``static/risk.css``; presentation attributes give a readable
default without it. Every piece of text is escaped here. The same edges belong in a table next to the picture.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from anxin.web.charts import _c, _e, _text

MAX_ACCOUNTS = 40


@dataclass(frozen=True)
class Attribute:
    kind: str
    value: str
    hub: bool = False


@dataclass(frozen=True)
class Edge:
    account: str
    kind: str
    value: str


@dataclass(frozen=True)
class Words:
    """The few words the picture itself shows, in the page's language."""

    title: str
    desc: str
    hub: str = "hub"
    more: str = "+{n}"


def _angle(i: int, n: int) -> float:
    return -math.pi / 2 + 2 * math.pi * i / max(n, 1)


def _at(cx: float, cy: float, r: float, a: float) -> tuple[float, float]:
    return cx + r * math.cos(a), cy + r * math.sin(a)


def _anchor(a: float) -> str:
    c = math.cos(a)
    return "start" if c > 0.3 else "end" if c < -0.3 else "middle"


def _toward(angles: Sequence[float]) -> float:
    """The circular mean of the angles an account's attributes sit at (the first one when they cancel out)."""
    x, y = sum(math.cos(a) for a in angles), sum(math.sin(a) for a in angles)
    return math.atan2(y, x) if math.hypot(x, y) > 1e-6 else angles[0]


def _spread(wanted: dict[str, float]) -> dict[str, float]:
    """Each account as near the angle it wants as a minimum gap allows (outside its attributes, so its edges stay
    short); evenly spaced in the same order when they cannot all fit."""
    if not wanted:
        return {}
    order = sorted(wanted, key=lambda acc: (wanted[acc] % (2 * math.pi), acc))
    gap = 2 * math.pi / max(len(order), 24)
    placed: list[float] = []
    for acc in order:
        a = wanted[acc] % (2 * math.pi)
        placed.append(max(a, placed[-1] + gap) if placed else a)
    if placed[-1] - placed[0] > 2 * math.pi - gap:  # wrapped round onto the first: spread them evenly instead
        placed = [placed[0] + 2 * math.pi * j / len(order) for j in range(len(order))]
    return dict(zip(order, placed, strict=True))


def _short(account: str) -> str:
    """``consumer:c1`` -> ``c1`` (the kind shows in the tooltip)."""
    return account.split(":", 1)[1] if ":" in account else account


def link_graph(subject: str, attributes: Sequence[Attribute], edges: Sequence[Edge], words: Words, *,
               ring: frozenset[str] = frozenset(), width: int = 640, height: int = 560,
               max_accounts: int = MAX_ACCOUNTS) -> Markup:
    """The graph as ``<svg role="img">``; ``ring`` marks accounts the ring detector put with the subject."""
    attrs = sorted({(a.kind, a.value): a for a in attributes}.values(), key=lambda a: (a.kind, a.value))
    index = {(a.kind, a.value): i for i, a in enumerate(attrs)}
    links: dict[str, set[int]] = {}
    for e in edges:
        i = index.get((e.kind, e.value))
        if i is not None and not attrs[i].hub and e.account != subject:  # a hub links nobody
            links.setdefault(e.account, set()).add(i)
    accounts = sorted(links, key=lambda acc: (min(links[acc]), acc))
    shown, hidden = accounts[:max_accounts], len(accounts) - max_accounts
    cx, cy = width / 2, height / 2
    r1, r2 = min(width, height) * 0.24, min(width, height) * 0.41
    cid = "lg-" + hashlib.sha1(repr((subject, attrs, sorted(links.items()))).encode(),
                               usedforsecurity=False).hexdigest()[:10]
    attr_xy = [_at(cx, cy, r1, _angle(i, len(attrs))) for i in range(len(attrs))]
    acc_angle = _spread({acc: _toward([_angle(i, len(attrs)) for i in sorted(links[acc])]) for acc in shown})
    acc_xy = {acc: _at(cx, cy, r2, acc_angle[acc]) for acc in shown}

    lines = ['<g class="lg-edges" stroke="#9ca3af" stroke-width="1.2">']
    for a, (x, y) in zip(attrs, attr_xy, strict=True):
        dash = ' stroke-dasharray="4 3"' if a.hub else ""
        lines.append(f'<line class="lg-own{" lg-hub" if a.hub else ""}" x1="{_c(cx)}" y1="{_c(cy)}" '
                     f'x2="{_c(x)}" y2="{_c(y)}"{dash}/>')
    for acc in shown:
        ax, ay = acc_xy[acc]
        for i in sorted(links[acc]):
            x, y = attr_xy[i]
            lines.append(f'<line class="lg-shared" data-account="{_e(acc)}" data-kind="{_e(attrs[i].kind)}" '
                         f'x1="{_c(x)}" y1="{_c(y)}" x2="{_c(ax)}" y2="{_c(ay)}"/>')
    lines.append("</g>")

    nodes = ['<g class="lg-nodes">']
    for i, (a, (x, y)) in enumerate(zip(attrs, attr_xy, strict=True)):
        ang = _angle(i, len(attrs))
        lx, ly = _at(x, y, 14, ang)
        cls = "lg-attr lg-hub" if a.hub else "lg-attr"
        label = f"{a.kind}: {a.value}" + (f" ({words.hub})" if a.hub else "")
        style = 'fill="#fff" stroke="#9ca3af" stroke-dasharray="3 2"' if a.hub else 'fill="#e8f0fe" stroke="#1f5fd1"'
        nodes.append(f'<g class="{cls}" data-kind="{_e(a.kind)}" data-hub="{str(a.hub).lower()}">'
                     f'<title>{_e(label)}</title><rect x="{_c(x - 7)}" y="{_c(y - 7)}" width="14" height="14" '
                     f'rx="3" {style}/>'
                     + _text(lx, ly + 4, label, "lg-label", anchor=_anchor(ang), max_units=22) + "</g>")
    for acc in shown:
        ax, ay = acc_xy[acc]
        ang = acc_angle[acc]
        lx, ly = _at(ax, ay, 12, ang)
        in_ring = acc in ring
        fill = "#fdecea" if in_ring else "#fff"
        stroke = "#d92d20" if in_ring else "#6b7280"
        nodes.append(f'<g class="lg-account{" lg-ring" if in_ring else ""}" data-account="{_e(acc)}">'
                     f'<title>{_e(acc)}</title><circle cx="{_c(ax)}" cy="{_c(ay)}" r="7" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="1.5"/>'
                     + _text(lx, ly + 4, _short(acc), "lg-label", anchor=_anchor(ang), max_units=16) + "</g>")
    nodes.append(f'<g class="lg-subject" data-account="{_e(subject)}"><title>{_e(subject)}</title>'
                 f'<circle cx="{_c(cx)}" cy="{_c(cy)}" r="11" fill="#fe2c55" stroke="#fff" stroke-width="2"/>'
                 + _text(cx, cy + 26, _short(subject), "lg-label lg-subject-label", anchor="middle", max_units=20)
                 + "</g>")
    if hidden > 0:
        nodes.append(_text(width - 8, height - 8, words.more.format(n=hidden), "lg-more", anchor="end"))
    nodes.append("</g>")

    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="link-graph" id="{cid}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-labelledby="{cid}-title {cid}-desc" '
            f'font-size="11">'
            f'<title id="{cid}-title">{_e(words.title)}</title><desc id="{cid}-desc">{_e(words.desc)}</desc>')
    return Markup(head + "".join(lines) + "".join(nodes) + "</svg>")
