"""Perceptual hashes and the near-duplicate index (issue 5, first part), with plain objects."""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from anxin.risk.hash_index import HammingIndex, Match
from anxin.risk.phash import NotAnImage, dhash, hamming


def photo(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like picture: a gradient with a few shapes, different per seed."""
    rng = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(size[1]):
        draw.line([(0, y), (size[0], y)], fill=(rng.randrange(256) // 4 + y * 180 // size[1], 90, 160))
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(30, 160)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return img


def encode(img: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **kw)
    return out.getvalue()


@pytest.mark.parametrize(("label", "change"), [
    ("re-saved as JPEG q=60", lambda im: encode(im, "JPEG", quality=60)),
    ("shrunk to a third", lambda im: encode(im.resize((213, 160)))),
    ("enlarged", lambda im: encode(im.resize((1280, 960)))),
    ("slightly brighter", lambda im: encode(im.point(lambda v: min(255, v + 12)))),
    ("as WebP", lambda im: encode(im, "WEBP", quality=70)),
])
def test_the_same_photo_reencoded_hashes_alike(label: str, change) -> None:  # type: ignore[no-untyped-def]
    img = photo(1)
    assert hamming(dhash(encode(img)), dhash(change(img))) <= 6, label


def test_different_photos_hash_far_apart() -> None:
    hashes = [dhash(encode(photo(s))) for s in range(20)]
    distances = [hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:]]
    assert min(distances) > 10 and sum(distances) / len(distances) > 20


TRUNCATED_PNG = encode(photo(3))[:300]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"%PDF-1.7 not a picture", "not_image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not_image"),  # a signature and nothing readable
    (TRUNCATED_PNG, "corrupt"),  # a real header, then the data stops
])
def test_what_is_not_an_image_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotAnImage) as err:
        dhash(data)
    assert err.value.reason == reason


def test_a_blank_picture_is_not_hashed_so_blank_pictures_never_match() -> None:
    with pytest.raises(NotAnImage) as exc:
        dhash(encode(Image.new("RGB", (640, 480), (250, 250, 250))))
    assert exc.value.reason == "low_detail"
    assert dhash(encode(photo(3))) != 0


def test_a_truncated_jpeg_is_refused_or_hashed_never_crashes() -> None:
    data = encode(photo(2), "JPEG")
    try:
        dhash(data[: len(data) // 3])
    except NotAnImage as err:
        assert err.reason == "corrupt"


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = encode(Image.new("L", (8000, 6000)), "PNG")  # 48 megapixels of nothing, a small file
    with pytest.raises(NotAnImage) as err:
        dhash(bomb)
    assert err.value.reason == "too_large"


def test_index_finds_near_duplicates_nearest_first() -> None:
    index = HammingIndex(radius=6)
    base = 0x0F0F_F0F0_1234_ABCD
    index.add_many([("same", base), ("two-off", base ^ 0b11), ("six-off", base ^ 0b111111),
                    ("seven-off", base ^ 0b1111111), ("far", ~base & (2**64 - 1))])
    assert index.query(base) == [Match("same", 0), Match("two-off", 2), Match("six-off", 6)]
    assert index.query(base, radius=2) == [Match("same", 0), Match("two-off", 2)]
    with pytest.raises(ValueError):
        index.query(base, radius=7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=60), st.integers(0, 2**64 - 1),
       st.integers(0, 8), st.lists(st.integers(0, 63), max_size=8))
def test_index_equals_brute_force(hashes: list[int], query: int, radius: int, flips: list[int]) -> None:
    # Plant near copies of the query so the radius is actually exercised.
    near = query
    for bit in flips:
        near ^= 1 << bit
    hashes = [*hashes, near]
    index = HammingIndex(radius=8)
    index.add_many((f"h{i}", h) for i, h in enumerate(hashes))
    expected = sorted((Match(f"h{i}", hamming(h, query)) for i, h in enumerate(hashes)
                       if hamming(h, query) <= radius), key=lambda m: (m.distance, m.item_id))
    assert index.query(query, radius) == expected


def test_index_equals_brute_force_across_merges_of_the_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    from anxin.risk import hash_index

    monkeypatch.setattr(hash_index, "TAIL", 5)  # merge every few adds: full rebuilds and sorted inserts both run
    rng = random.Random(3)
    base = [rng.getrandbits(64) for _ in range(40)]
    hashes = [b ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64)) if i % 3 else b
              for i, b in enumerate(base * 3)]
    index = HammingIndex(radius=6)
    for i, h in enumerate(hashes):
        index.add(f"h{i:03d}", h)
        if i % 17 == 0:
            q = hashes[rng.randrange(i + 1)]
            expected = sorted((Match(f"h{j:03d}", hamming(x, q)) for j, x in enumerate(hashes[:i + 1])
                               if hamming(x, q) <= 6), key=lambda m: (m.distance, m.item_id))
            assert index.query(q) == expected
    assert len(index) == len(hashes)
