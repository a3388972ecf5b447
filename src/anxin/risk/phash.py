"""Perceptual hashes of evidence images: the same photo, re-saved, resized or recompressed, hashes alike.

A 64-bit difference hash (dHash): the image in grey, shrunk to 9×8, one bit per pair of horizontal neighbours
(is the left one brighter?). Re-encoding and rescaling move few bits; a different photo moves about half.
Decoding is bounded: a file that is not an image, is corrupt, or would decode to more than ``MAX_PIXELS`` is
refused with a reason, before any pixel is decoded.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

HASH_BITS = 64
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; a decompression bomb is refused before decoding
MAX_BYTES = 20 * 1024 * 1024


MIN_CONTRAST = 8  # grey levels between the darkest and brightest thumbnail pixel


class NotAnImage(ValueError):
    """Evidence that cannot be hashed; ``reason`` is stable: not_image, too_large, corrupt, empty, low_detail."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def dhash(data: bytes) -> int:
    if not data:
        raise NotAnImage("empty", "no bytes")
    if len(data) > MAX_BYTES:
        raise NotAnImage("too_large", f"{len(data)} bytes, more than {MAX_BYTES}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise NotAnImage("too_large", f"{w}×{h} pixels, more than {MAX_PIXELS}")
            img.draft("L", (64, 64))  # JPEG decodes at a reduced scale: fast and enough for 9×8
            small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    except NotAnImage:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise NotAnImage("not_image", f"not an image: {exc}") from None
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or malformed files
        raise NotAnImage("corrupt", f"cannot decode the image: {exc}") from None
    px = small.tobytes()  # one byte per pixel in mode L, row by row
    if max(px) - min(px) < MIN_CONTRAST:
        # A blank or near-uniform picture hashes to (almost) all zeros: every such image would "match" every
        # other, so it is not hashed at all rather than matched by accident.
        raise NotAnImage("low_detail", "the image is (nearly) uniform: too little detail to compare")
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return bits


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
