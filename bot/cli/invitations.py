"""CLI actions of the web side: QR codes and slips for invitations, API keys, kiosk desks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import click

from bot.cli.texts import say
from bot.common.database import open_configured
from bot.common.settings import Settings
from bot.conversation.surveys import Invitation, send_survey
from bot.office.apikeys import create_api_key
from bot.office.kiosks import ENROL_HOURS, enrolment_link, set_desk
from bot.office.slips import Slip, save_qr, telegram_link, write_slip
from bot.office.webhooks_out import set_webhook, webhook_status
from storage import dossier_names, find_survey


def invitation_lines(settings: Settings, invitation: Invitation, qr_dir: Path | None) -> Iterator[str]:
    """The Telegram deep link (when a bot is configured) and the saved QR files (when asked)."""
    deep_link = telegram_link(settings, invitation.token)
    if deep_link:
        yield f"Telegram: {deep_link}"
    if qr_dir is not None:
        stem = qr_dir / invitation.dossier_code.replace("/", "_")
        svg, png = save_qr(invitation.link, stem)
        yield f"{say('label.qr')}: {svg} {png}"


async def slip(settings: Settings, code: str, output: Path, *, now: datetime) -> None:
    """Create (or find) the dossier's survey and render its printable return slip."""
    async with open_configured(settings) as db:
        invitation = await send_survey(db, settings, code, now=now)
        async with db.transaction() as s:
            survey = await find_survey(s, token=invitation.token)
            assert survey is not None  # send_survey has just made or found it
            names = await dossier_names(s, survey.dossier_id)
    paper = Slip(invitation.dossier_code, names.get("procedure", ""), names.get("agency", ""), invitation.link,
                 invitation.expires_at)
    click.echo(f"{say('label.slip_written')}: {write_slip(paper, output)}")


async def new_api_key(settings: Settings, agency_code: str, *, label: str, now: datetime,
                      free_text: bool = False) -> None:
    """Create an API key and print it once."""
    async with open_configured(settings) as db:
        key = await create_api_key(db, agency_code, label=label, now=now, free_text=free_text)
    click.echo(f"{say('api_key_once')}:")
    click.echo(key)


async def new_webhook(settings: Settings, agency_code: str, url: str, *, now: datetime, free_text: bool) -> None:
    """Set an agency's webhook and print its signing secret once."""
    async with open_configured(settings) as db:
        secret = await set_webhook(db, agency_code, url, now=now, free_text=free_text)
    click.echo(f"{say('webhook_secret_once')}:")
    click.echo(secret)


async def show_webhook(settings: Settings, agency_code: str) -> None:
    """Print the agency's webhook, its deliveries by status and the failed ones (dead letters)."""
    async with open_configured(settings) as db:
        status = await webhook_status(db, agency_code)
    if status["url"] is None:
        click.echo(say("webhook_none"))
        return
    counts = ", ".join(f"{k} {v}" for k, v in sorted(status["counts"].items())) or "0"
    click.echo(f"{status['url']}\n{say('label.deliveries')}: {counts}")
    for row in status["failed"]:
        click.echo(f"{say('label.failed')} #{row['id']} {row['event']} {row['created_at']} "
                   f"({row['attempts']} {say('label.attempts')}): {row['error']}")


async def add_desk(settings: Settings, agency_code: str, desk_id: str, *, officer: str | None, timeout: int) -> None:
    """Create or change a kiosk desk and print its address."""
    async with open_configured(settings) as db:
        path = await set_desk(db, agency_code, desk_id, officer_code=officer, timeout=timeout)
    click.echo(f"{say('label.desk')}: {settings.public_url}{path}")
    click.echo(f"{say('label.enrol_tablet')}: hailong kiosk enrol {desk_id}")


async def enrol_desk(settings: Settings, desk_id: str, *, now: datetime, qr: Path | None) -> None:
    """Print a one-time link that enrols the tablet opening it as the desk's (and save it as a QR code)."""
    async with open_configured(settings) as db:
        path = await enrolment_link(db, desk_id, actor="cli", now=now)
    link = f"{settings.public_url}{path}"
    click.echo(f"{say('enrol_open', hours=ENROL_HOURS)}:")
    click.echo(link)
    if qr is not None:
        svg, png = save_qr(link, qr)
        click.echo(f"{say('label.qr')}: {svg} {png}")
