"""Evidence images: checked for type and size, stored content-addressed (sha256) on disk.

The bytes go to ``<root>/ab/abcdef….<ext>``; a row records type, size and dimensions. Storing the
same image twice stores it once, which is also what later lets risk find reused evidence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PIXELS = 40_000_000


class EvidenceRejected(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class EvidenceInfo:
    sha256: str
    content_type: str
    size: int
    width: int
    height: int


class EvidenceRow(Base):
    __tablename__ = "evidence"
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by: Mapped[str] = mapped_column(sa.String(140))
    uploaded_at: Mapped[dt.datetime]

    def info(self) -> EvidenceInfo:
        return EvidenceInfo(self.sha256, self.content_type, self.size, self.width, self.height)


def inspect_image(data: bytes, *, max_bytes: int) -> EvidenceInfo:
    """Accept JPEG, PNG or WebP that actually decodes; anything else is refused with a code."""
    if len(data) > max_bytes:
        raise EvidenceRejected("aftersales.evidence_too_large", f"evidence is {len(data)} bytes; at most {max_bytes}")
    if not data:
        raise EvidenceRejected("aftersales.evidence_not_image", "evidence file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise EvidenceRejected("aftersales.evidence_too_large", "image has too many pixels")
                img.verify()
    except EvidenceRejected:
        raise
    except Exception:
        raise EvidenceRejected("aftersales.evidence_not_image", "evidence must be a JPEG, PNG or WebP image") from None
    if fmt not in FORMATS:
        raise EvidenceRejected("aftersales.evidence_not_image", f"image format {fmt or 'unknown'} is not accepted")
    return EvidenceInfo(hashlib.sha256(data).hexdigest(), FORMATS[fmt][0], len(data), width, height)


class EvidenceStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str, content_type: str) -> Path:
        ext = next(e for ct, e in FORMATS.values() if ct == content_type)
        return self.root / sha256[:2] / f"{sha256}.{ext}"

    def save(self, session: Session, data: bytes, info: EvidenceInfo, *, uploaded_by: str,
             at: dt.datetime) -> EvidenceInfo:
        target = self.path(info.sha256, info.content_type)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)  # atomic: a reader never sees half a file
        if session.get(EvidenceRow, info.sha256) is None:
            session.add(EvidenceRow(sha256=info.sha256, content_type=info.content_type, size=info.size,
                                    width=info.width, height=info.height, uploaded_by=uploaded_by, uploaded_at=at))
        return info

    def read(self, session: Session, sha256: str) -> tuple[bytes, str] | None:
        row = session.get(EvidenceRow, sha256)
        if row is None:
            return None
        path = self.path(row.sha256, row.content_type)
        return (path.read_bytes(), row.content_type) if path.exists() else None

    @staticmethod
    def uploader(session: Session, sha256: str) -> str | None:
        row = session.get(EvidenceRow, sha256)
        return row.uploaded_by if row else None

    @staticmethod
    def known(session: Session, hashes: list[str]) -> set[str]:
        if not hashes:
            return set()
        return set(session.scalars(sa.select(EvidenceRow.sha256).where(EvidenceRow.sha256.in_(hashes))))
