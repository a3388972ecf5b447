"""Evidence photos an abuser recycles: a "stock" photo, and the near-duplicates made from it for each claim.

Honest buyers photograph their own parcel (``anxin.sim.world.photo``: fresh noise every time). Abusers keep a
few photos of a damaged item and send them again and again, each time a little different so the bytes never
match: re-saved as JPEG at another quality, slightly cropped and resized (at most 5 %), brighter or darker.
A perceptual hash sees through that (``anxin.risk.phash``: within about 6 bits of 64); a byte hash does not.

A stock photo is smooth at the scale a perceptual hash looks at (a 9×8 grid of shades, each pair of horizontal
neighbours clearly different, blown up and blurred) with grain on top, as a photo of a real object is.
"""

from __future__ import annotations

import io
import random
from itertools import accumulate

from PIL import Image, ImageEnhance, ImageFilter

SIZE = (180, 160)
MAX_CROP = 0.05  # of each side's length, in all
MIN_STEP = 36  # grey levels between horizontal neighbours of the coarse grid
LOW, HIGH = 20, 235


def _levels(rng: random.Random, ups: list[bool]) -> list[int]:
    """A row of nine shades going up or down between neighbours as ``ups`` says, by MIN_STEP to MIN_STEP + 6."""
    path = [0]
    for up in ups:
        path.append(path[-1] + rng.randrange(MIN_STEP, MIN_STEP + 7) * (1 if up else -1))
    low, high = min(path), max(path)
    base = rng.randrange(LOW - low, HIGH - high + 1)
    return [base + v for v in path]


def _directions(rng: random.Random, previous: list[bool] | None) -> list[bool]:
    """The up/down pattern of a row: random for the first, then the row above with one or two changes (objects
    are vertically coherent), never climbing or falling so far that the shades leave [LOW, HIGH]."""
    while True:
        ups = [rng.random() < 0.5 for _ in range(8)] if previous is None else list(previous)
        if previous is not None:
            for i in rng.sample(range(8), rng.randint(1, 2)):
                ups[i] = not ups[i]
        walk = list(accumulate((1 if u else -1 for u in ups), initial=0))
        if (max(walk) - min(walk)) * (MIN_STEP + 6) <= HIGH - LOW:
            return ups


def stock_photo(rng: random.Random) -> bytes:
    """A photo of "the damaged item": a coarse pattern of shades under a tint, with grain; PNG."""
    rows, ups = [], None
    for _ in range(8):
        ups = _directions(rng, ups)
        rows.append(_levels(rng, ups))
    coarse = Image.new("L", (9, 8))
    coarse.putdata([v for row in rows for v in row])
    grey = coarse.resize(SIZE, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(3))
    tint = (rng.randrange(60, 200), rng.randrange(60, 200), rng.randrange(60, 200))
    rgb = Image.merge("RGB", [grey.point(lambda v, t=t: (v * (128 + t)) >> 8) for t in tint])
    grain = Image.frombytes("L", SIZE, rng.randbytes(SIZE[0] * SIZE[1])).point(lambda v: v >> 4)
    rgb = Image.merge("RGB", [Image.blend(band, grain, 0.08) for band in rgb.split()])
    out = io.BytesIO()
    rgb.save(out, format="PNG")
    return out.getvalue()


def vary(data: bytes, rng: random.Random) -> bytes:
    """A near-duplicate of ``data``: cropped and resized by at most 5 %, brightness ±8 %, JPEG quality 60-95."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    crop = rng.uniform(0, MAX_CROP)
    left, top = rng.uniform(0, crop), rng.uniform(0, crop)
    box = (round(w * left), round(h * top), round(w * (1 - crop + left)), round(h * (1 - crop + top)))
    img = img.crop(box)
    scale = rng.uniform(1 - MAX_CROP, 1 + MAX_CROP)
    img = img.resize((max(16, round(img.width * scale)), max(16, round(img.height * scale))),
                     Image.Resampling.BILINEAR)
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.92, 1.08))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=rng.randint(60, 95))
    return out.getvalue()
