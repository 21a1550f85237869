"""Officers' photos for the counter kiosk: uploaded by a manager, checked, re-encoded and served.

An upload is kept only when Pillow reads it as a JPEG, PNG or WebP image of at most MAX_BYTES and
MAX_SIDE pixels a side. It is never stored as sent: it is decoded, cut down to SIDE pixels and
written again as a JPEG, so no metadata (camera, GPS position) and nothing hidden in the file
survives. The file is named by the SHA-256 of what is written (``var/photos/<64 hex>.jpg``) and
the officer's ``photo_url`` becomes ``/kiosk-photos/<name>``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.common.errors import BadInput
from storage import Database, audit, find_officer, set_officer_photo

ROOT = Path("var") / "photos"
URL = "/kiosk-photos/"
MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 8000  # pixels: a larger image is refused before it is decoded
SIDE = 480  # pixels of the stored photo's longer side
FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
NAME = re.compile(r"^[0-9a-f]{64}\.jpg$")


class PhotoRefused(Exception):
    """An upload that is not a photo to keep: "photo_too_big", "photo_wrong_type" or "photo_none"."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def keep_photo(data: bytes, *, root: Path = ROOT) -> str:
    """Check and re-encode an uploaded image; returns the stored file's name, or PhotoRefused."""
    if not data:
        raise PhotoRefused("photo_none")
    if len(data) > MAX_BYTES:
        raise PhotoRefused("photo_too_big")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS or max(image.size) > MAX_SIDE:
                    raise PhotoRefused("photo_wrong_type")
                image.load()
                picture = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise PhotoRefused("photo_wrong_type") from None
    picture.thumbnail((SIDE, SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    written = out.getvalue()
    name = hashlib.sha256(written).hexdigest() + ".jpg"
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    if not target.exists():
        partial = root / f".{name}.{os.getpid()}.part"
        partial.write_bytes(written)
        partial.replace(target)  # atomic: a reader sees the whole photo or none
    return name


def photo_file(name: str, *, root: Path = ROOT) -> Path | None:
    """The stored photo of that name, or None (a name not of the stored shape included)."""
    if not NAME.match(name):
        return None
    path = root / name
    return path if path.is_file() else None


async def set_photo(db: Database, agency_id: int, officer_code: str, name: str, *, actor: str,
                    now: datetime) -> None:
    """Make a stored photo the officer's (shown on the kiosks of the desks the officer receives at)."""
    async with db.transaction() as s:
        officer = await find_officer(s, agency_id, officer_code)
        if officer is None:
            raise BadInput(f"Không có cán bộ {officer_code}.", f"There is no officer {officer_code}.")
        await set_officer_photo(s, officer.id, URL + name)
        await audit(s, actor=actor, action="officer.photo", subject=f"officer:{officer_code}", now=now,
                    detail={"photo": name})
