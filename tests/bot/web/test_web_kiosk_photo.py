"""A manager uploads the receiving officer's photo for a desk at /staff/kiosks, over real HTTP:
only images are kept (checked by decoding them, re-encoded without their metadata), within a size
limit, for the manager's own agencies' desks; the kiosk shows it and /kiosk-photos/ serves it."""

from __future__ import annotations

import io
import re

import pytest
from live import run_async, serve_app
from PIL import Image
from staffkit import AGENCY_A, get_bytes, seed_staff, signed_in, staff_desk, stored_audit
from test_web_imports import upload as upload_file

from bot.office.photos import MAX_BYTES
from storage import find_agency, find_officer, open_database

DESK = "quay-1"


@pytest.fixture
def photos(tmp_path, monkeypatch):
    """This test's own var/photos (photos are kept under ./var/photos)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "var" / "photos"


def image(kind: str, size: tuple[int, int] = (900, 1200), *, gps: bool = False) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", size, (30, 120, 60))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0)}  # a GPS position
    picture.save(out, kind, **({"exif": exif.tobytes()} if gps else {}))
    return out.getvalue()


def upload(client, csrf: str | None, data: bytes, desk: str = DESK, filename: str = "lan.jpg") -> tuple[int, str]:
    return upload_file(client, csrf, filename, data, path=f"/staff/kiosks/{desk}/photo", field="photo")


def officer_photo(url: str) -> str | None:
    async def run() -> str | None:
        async with open_database(url) as db, db.transaction() as s:
            agency = await find_agency(s, AGENCY_A)
            officer = await find_officer(s, agency.id, "CB01")
            return officer.photo_url

    return run_async(run())


def test_a_manager_uploads_the_officer_photo_the_kiosk_shows(live_db_url, photos) -> None:
    from surveykit import enrolled

    seeded = seed_staff(live_db_url)
    staff_desk(live_db_url, DESK)
    with serve_app(seeded.settings) as base:
        manager, csrf = signed_in(base, "manager_a")
        status, page = manager.get("/staff/kiosks")
        assert status == 200 and f'action="/staff/kiosks/{DESK}/photo"' in page and 'enctype="multipart/form-data"' in page
        # Refused, each with its bilingual reason, and nothing kept:
        for data, name, expected, words in (
                (b"%PDF-1.4 not an image", "lan.jpg", 400, "không phải ảnh"),
                (image("GIF"), "lan.gif", 400, "không phải ảnh"),
                (image("PNG")[:200], "lan.png", 400, "không phải ảnh"),  # a cut-off file
                (b"", "lan.jpg", 400, "Chưa chọn ảnh"),
                (b"\xff\xd8\xff" + b"0" * (MAX_BYTES + 10), "big.jpg", 413, "quá lớn")):
            status, page = upload(manager, csrf, data, filename=name)
            assert status == expected and words in page and "Nothing was saved" in page, (name, status)
            assert "Traceback" not in page
        assert officer_photo(live_db_url) is None and not list(photos.glob("*.jpg"))
        # Another agency's manager and a clerk: not theirs.
        other, other_csrf = signed_in(base, "manager_b")
        assert upload(other, other_csrf, image("PNG"))[0] == 404
        clerk, clerk_csrf = signed_in(base, "staff_a")
        assert upload(clerk, clerk_csrf, image("PNG"))[0] == 403
        assert upload(manager, "f" * len(csrf), image("PNG"))[0] == 403  # a forged form
        assert officer_photo(live_db_url) is None
        # Kept: a JPEG with a GPS position becomes a small JPEG with no metadata at all.
        status, page = upload(manager, csrf, image("JPEG", gps=True))
        assert status == 200 and f'data-photo-saved="{DESK}"' in page
        url = officer_photo(live_db_url)
        assert url is not None and re.fullmatch(r"/kiosk-photos/[0-9a-f]{64}\.jpg", url)
        assert f'src="{url}"' in page
        status, headers, body = get_bytes(manager, url)
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and body == (photos / url.rsplit("/", 1)[1]).read_bytes()
        with Image.open(io.BytesIO(body)) as kept:
            assert kept.format == "JPEG" and max(kept.size) <= 480 and not kept.getexif()
            assert "exif" not in kept.info
        assert b"PhoneMaker" not in body
        tablet = enrolled(base, live_db_url)
        status, page = tablet.get(f"/kiosk/{DESK}")
        assert status == 200 and f'src="{url}"' in page and "data-officer-photo" in page
        for name in ("../../etc/passwd", "x.jpg", url.rsplit("/", 1)[1].replace(".jpg", ".png")):
            assert get_bytes(manager, f"/kiosk-photos/{name}")[0] == 404
    assert [a for a in stored_audit(live_db_url, "officer.") if a[1] == "officer.photo"]
