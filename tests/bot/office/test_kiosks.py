"""Kiosk desks as use cases: enrolment, the lookup throttle per desk and per address, refusal reasons.

The refusal reasons are kept for the audit log (and the staff desk shows its own); the kiosk page
says one thing for all of them (tests/bot/web/test_web_kiosk.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from bot.common.errors import BadInput
from bot.common.settings import load_settings
from bot.office.kiosks import (
    LOOKUP_LIMIT,
    KioskRefused,
    enrol_device,
    enrolment_link,
    find_desk,
    keypad_for,
    open_at_desk,
    set_desk,
)
from storage import audit_entries, upsert_agency, upsert_dossier, upsert_officer
from survey_flows import normalize_code

AGENCY, OTHER = "000.32.31.H29", "000.32.32.H29"
RETURNED, PENDING, FOREIGN = f"{AGENCY}-261118-0001", f"{AGENCY}-261118-0002", f"{OTHER}-261118-0003"


@pytest.fixture
async def desks(db, now):
    async with db.transaction() as s:
        for code in (AGENCY, OTHER):
            agency = await upsert_agency(s, code=code, name=code, now=now)
            await upsert_officer(s, agency_id=agency.id, code="CB01", name="Lan")
            for dossier, status in ((RETURNED, 10), (PENDING, 2), (FOREIGN, 10)):
                if dossier.startswith(code):
                    await upsert_dossier(s, code=dossier, agency_id=agency.id, status=status,
                                         received_on=date(2026, 11, 18), due_on=date(2026, 11, 19),
                                         returned_on=date(2026, 11, 19) if status == 10 else None, now=now)
    for desk in ("quay-1", "quay-2", "quay-3"):
        await set_desk(db, AGENCY, desk, officer_code="CB01")
    return db


async def test_enrolment_is_one_time_and_the_desk_admits_only_its_tablet(desks, now) -> None:
    path = await enrolment_link(desks, "quay-1", actor="user:manager", now=now)
    token = re.fullmatch(r"/kiosk/quay-1/enrol/([A-Za-z0-9_-]+)", path).group(1)
    assert await enrol_device(desks, "quay-2", token, now=now, address="10.0.0.1") is None  # another desk's link
    secret = await enrol_device(desks, "quay-1", token, now=now, address="10.0.0.1")
    assert secret and await enrol_device(desks, "quay-1", token, now=now, address="10.0.0.1") is None
    desk = await find_desk(desks, "quay-1")
    assert desk.admits(secret) and not desk.admits(None) and not desk.admits(secret[:-1] + "x")
    assert secret not in str(desk.device)  # only the digest is kept
    await set_desk(desks, AGENCY, "quay-1", officer_code=None, timeout=60)  # changing the desk keeps the tablet
    assert (await find_desk(desks, "quay-1")).admits(secret)
    late = (await enrolment_link(desks, "quay-1", actor="cli", now=now)).rsplit("/", 1)[1]
    assert await enrol_device(desks, "quay-1", late, now=now + timedelta(hours=25), address="x") is None
    with pytest.raises(BadInput):
        await enrolment_link(desks, "quay-9", actor="cli", now=now)
    async with desks.transaction() as s:
        outside = (await upsert_agency(s, code=OTHER, name=OTHER, now=now)).id
    with pytest.raises(BadInput):  # a manager of another agency cannot enrol this desk
        await enrolment_link(desks, "quay-1", actor="user:manager_b", now=now, agencies=frozenset({outside}))


async def test_each_refusal_keeps_its_reason_for_the_audit_log(desks, database_url, now) -> None:
    settings = load_settings(env_file=None, database_url=database_url)
    desk = await find_desk(desks, "quay-1")
    reasons = []
    for code in (PENDING, FOREIGN, f"{AGENCY}-261118-0999", "not a code"):
        with pytest.raises(KioskRefused) as refused:
            await open_at_desk(desks, settings, desk, code, address="10.0.0.1", now=now)
        reasons.append(refused.value.reason)
    assert reasons == ["not_returned", "unknown", "unknown", "unknown"]
    survey = await open_at_desk(desks, settings, desk, RETURNED, address="10.0.0.1", now=now)
    assert survey.token
    async with desks.transaction() as s:
        logged = [e.detail["reason"] for e in reversed(await audit_entries(s, action_prefix="kiosk.refused"))]
    assert logged == reasons


async def test_lookups_are_throttled_per_desk_and_per_address(desks, database_url, now) -> None:
    settings = load_settings(env_file=None, database_url=database_url)
    one, two = await find_desk(desks, "quay-1"), await find_desk(desks, "quay-2")
    for n in range(LOOKUP_LIMIT):  # twenty wrong codes at desk 1, each from another address
        with pytest.raises(KioskRefused):
            await open_at_desk(desks, settings, one, f"{AGENCY}-261118-{n + 100:04d}", address=f"10.0.1.{n}",
                               now=now + timedelta(seconds=n))
    later = now + timedelta(seconds=30)
    with pytest.raises(KioskRefused) as refused:  # desk 1 now waits, for any address and a right code
        await open_at_desk(desks, settings, one, RETURNED, address="10.9.9.9", now=later)
    assert refused.value.reason == "throttled"
    assert (await open_at_desk(desks, settings, two, RETURNED, address="10.9.9.9", now=later)).token  # desk 2 works
    three = await find_desk(desks, "quay-3")
    for n in range(LOOKUP_LIMIT):  # twenty wrong codes from one address, spread over desks 2 and 3
        with pytest.raises(KioskRefused):
            await open_at_desk(desks, settings, (two, three)[n % 2], "x", address="10.0.2.1", now=later)
    with pytest.raises(KioskRefused) as refused:
        await open_at_desk(desks, settings, three, RETURNED, address="10.0.2.1", now=later)
    assert refused.value.reason == "throttled"
    assert (await open_at_desk(desks, settings, three, RETURNED, address="10.0.2.2", now=later)).token
    # A minute after the failures the desk answers again.
    assert (await open_at_desk(desks, settings, one, RETURNED, address="10.9.9.9",
                               now=now + timedelta(seconds=LOOKUP_LIMIT + 61))).token


@pytest.mark.parametrize(("agency", "code"), [("000.32.31.H29", "000.32.31.H29-261118-0001"),
                                              ("000.17.22.H56", "000.17.22.H56-210531-0001"),
                                              ("G22.15", "G22.15-250101-AB0012")])
def test_the_keypad_types_every_character_a_dossier_code_holds(agency: str, code: str) -> None:
    assert normalize_code(code) == code  # a code of the portal's format
    pad = keypad_for(agency)
    assert all(pad.allows(c) for c in code) and code.startswith(pad.prefix)
    assert {c for c in agency if c.isalpha()} <= set(pad.main)  # the desk's own letters on the main pad
    assert set(pad.main) | set(pad.letters) >= set("0123456789.-ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert not pad.allows("Ω") and not pad.allows("<script>")
