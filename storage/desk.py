"""What the staff desk and the dossier import read: a dossier's card, and stored dossiers by code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Agency, Contact, ContactAddress, Dossier, Evaluation, Officer, Procedure, Survey

IN_CHUNK = 500  # codes per IN (...) list: well under every driver's bound-parameter limit


@dataclass(frozen=True, slots=True)
class Address:
    """One way to reach the dossier's applicant; `unreachable` when the provider said it no longer works."""

    channel: str
    address: str
    unreachable: bool


@dataclass(frozen=True, slots=True)
class DossierCard:
    """A dossier as the desk shows it: names, dates, its survey, its evaluation, its contact's addresses."""

    id: int
    code: str
    agency_id: int
    agency_name: str
    procedure: str | None
    officer: str | None
    status: int
    received_on: date
    due_on: date | None
    returned_on: date | None
    survey_id: int | None
    survey_token: str | None
    survey_status: str | None
    survey_expires_at: datetime | None
    evaluated_on: str | None  # the evaluation's channel, None when not evaluated
    opted_out: bool
    addresses: tuple[Address, ...]
    unit_steps: tuple[dict[str, str], ...] = ()  # each participating unit's step, as imported
    online: bool | None = None
    exceptions: dict[str, Any] | None = None  # the legal exceptions staff recorded, with who and when


async def dossier_card(s: AsyncSession, code: str) -> DossierCard | None:
    """The card of the dossier with this (normalised) code, or None."""
    row = (await s.execute(
        select(Dossier, Agency.name, Procedure.name, Officer.name)
        .join(Agency, Agency.id == Dossier.agency_id)
        .outerjoin(Procedure, Procedure.id == Dossier.procedure_id)
        .outerjoin(Officer, Officer.id == Dossier.officer_id)
        .where(Dossier.code == code).execution_options(populate_existing=True))).first()
    if row is None:
        return None
    dossier, agency, procedure, officer = row
    survey = await s.scalar(select(Survey).where(Survey.dossier_id == dossier.id)
                            .execution_options(populate_existing=True))
    evaluated = await s.scalar(select(Evaluation.channel).where(Evaluation.dossier_id == dossier.id))
    # The dossier's contact has the phone; a chat that opened the survey may be another contact.
    contacts = [c for c in (dossier.contact_id, survey.contact_id if survey else None) if c is not None]
    opted_out = False
    addresses: tuple[Address, ...] = ()
    if contacts:
        opted_out = await s.scalar(select(Contact.id).where(
            Contact.id.in_(contacts), Contact.opted_out_at.is_not(None)).limit(1)) is not None
        found = await s.execute(select(ContactAddress.channel, ContactAddress.address, ContactAddress.unreachable_at)
                                .where(ContactAddress.contact_id.in_(contacts)).order_by(ContactAddress.id))
        addresses = tuple(Address(channel, address, at is not None) for channel, address, at in found)
    return DossierCard(
        dossier.id, dossier.code, dossier.agency_id, agency, procedure, officer, dossier.status,
        dossier.received_on, dossier.due_on, dossier.returned_on,
        survey.id if survey else None, survey.token if survey else None, survey.status if survey else None,
        survey.expires_at if survey else None, evaluated, opted_out, addresses,
        tuple(dossier.unit_steps or ()), dossier.online, dossier.exceptions)


async def dossier_code_of_token(s: AsyncSession, token: str) -> str | None:
    """The dossier code of the survey with this token, or None."""
    return await s.scalar(select(Dossier.code).join(Survey, Survey.dossier_id == Dossier.id)
                          .where(Survey.token == token))


@dataclass(frozen=True, slots=True)
class StoredDossier:
    """What an import row is compared with: the dossier's own data as stored."""

    agency_id: int
    agency_code: str
    status: int
    received_on: date
    due_on: date | None
    returned_on: date | None
    procedure_code: str | None
    officer_code: str | None
    phone: str | None


async def stored_dossiers(s: AsyncSession, codes: Iterable[str]) -> dict[str, StoredDossier]:
    """The stored dossiers among these codes, by code (read in chunks)."""
    codes = list(dict.fromkeys(codes))
    found: dict[str, StoredDossier] = {}
    for start in range(0, len(codes), IN_CHUNK):
        rows = await s.execute(
            select(Dossier.code, Dossier.agency_id, Agency.code, Dossier.status, Dossier.received_on,
                   Dossier.due_on, Dossier.returned_on, Procedure.code, Officer.code, ContactAddress.address)
            .join(Agency, Agency.id == Dossier.agency_id)
            .outerjoin(Procedure, Procedure.id == Dossier.procedure_id)
            .outerjoin(Officer, Officer.id == Dossier.officer_id)
            .outerjoin(ContactAddress, (ContactAddress.contact_id == Dossier.contact_id)
                       & (ContactAddress.channel == "sms"))
            .where(Dossier.code.in_(codes[start:start + IN_CHUNK])))
        for code, *values in rows:
            found[code] = StoredDossier(*values)
    return found


async def agency_ids(s: AsyncSession) -> dict[str, int]:
    """Every agency's id by its code."""
    return {code: id for code, id in await s.execute(select(Agency.code, Agency.id))}
