"""The open survey behind a channel address, linking a survey to a contact, unreachable addresses."""

from __future__ import annotations

from datetime import date, timedelta

from storage import (
    create_survey,
    find_contact_address,
    find_open_survey,
    mark_unreachable,
    set_survey_contact,
    set_survey_status,
    upsert_agency,
    upsert_contact_address,
    upsert_dossier,
)


async def _survey(s, now, code: str):
    agency = await upsert_agency(s, code="A1", name="UBND", now=now)
    dossier, _ = await upsert_dossier(s, code=code, agency_id=agency.id, status=10,
                                   received_on=date(2025, 6, 1), now=now)
    return await create_survey(s, dossier_id=dossier.id, token=f"tok-{code}", flow_id="quick",
                               now=now, expires_at=now + timedelta(days=3))


async def test_the_open_survey_of_a_chat_prefers_the_active_one(db, now) -> None:
    async with db.transaction() as s:
        chat = await upsert_contact_address(s, channel="telegram", address="42", now=now)
        assert await find_open_survey(s, channel="telegram", address="42") is None
        first, second = await _survey(s, now, "D-1"), await _survey(s, now, "D-2")
        for survey in (first, second):
            await set_survey_contact(s, survey.id, chat.contact_id)
        assert (await find_open_survey(s, channel="telegram", address="42")).id == second.id
        await set_survey_status(s, first.id, "active", now=now)
        assert (await find_open_survey(s, channel="telegram", address="42")).id == first.id
        await set_survey_status(s, first.id, "completed", now=now)
        await set_survey_status(s, second.id, "expired", now=now)
        assert await find_open_survey(s, channel="telegram", address="42") is None
        assert await find_open_survey(s, channel="zalo", address="42") is None


async def test_mark_unreachable(db, now) -> None:
    async with db.transaction() as s:
        await upsert_contact_address(s, channel="telegram", address="42", now=now)
        assert await mark_unreachable(s, channel="telegram", address="42", now=now)
        assert not await mark_unreachable(s, channel="telegram", address="43", now=now)
        assert (await find_contact_address(s, "telegram", "42")).unreachable_at == now
