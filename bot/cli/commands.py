"""What the CLI commands do, kept apart from argument parsing so that tests can call them."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.cli.invitations import invitation_lines
from bot.common.database import open_configured
from bot.common.settings import Settings, load_settings
from bot.conversation.inbox import Inbox
from bot.conversation.surveys import send_survey
from bot.conversation.telegram import poll, polling_dispatcher, quiet_httpx, require_telegram
from bot.conversation.turns import Conversations
from bot.demo.seed import seed_demo
from bot.office.dossiers import write_rows
from bot.office.importer import read_rows
from bot.serve import serve_forever
from channels.telegram import ALLOWED_UPDATES, open_bot
from storage import upgrade
from survey_flows import (
    Env,
    SessionStatus,
    TextReply,
    evaluation_record,
    load_flow,
    load_schema,
    resume,
    run_terminal,
    start,
)


def _env() -> Env:
    return Env(now=datetime.now(timezone.utc), new_id=lambda: uuid.uuid4().hex)


async def import_dossiers(settings: Settings, path: Path, *, now: datetime) -> int:
    """Import a dossier CSV; returns the exit code (1 when any row was rejected)."""
    rows, errors = read_rows(path)
    async with open_configured(settings) as db:
        with import_progress(len(rows)) as progress:
            result = await write_rows(db, rows, now=now, progress=progress)
    errors = sorted(errors + result.errors, key=lambda e: e.line)
    for error in errors:
        click.echo(f"{path}:{error}", err=True)
    click.echo(
        f"Đã nhập {result.created + result.updated} hồ sơ (mới {result.created}, cập nhật {result.updated}); "
        f"bỏ qua {len(errors)} dòng lỗi.\n"
        f"Imported {result.created + result.updated} dossiers ({result.created} new, {result.updated} updated); "
        f"{len(errors)} rows rejected."
    )
    return 1 if errors else 0


PROGRESS_EVERY = 2000  # rows between two progress lines when stderr is not a terminal


@contextmanager
def import_progress(total: int, *, every: int = PROGRESS_EVERY) -> Iterator[Callable[[int], None]]:
    """Show an import's progress on stderr: a bar on a terminal, else a line every `every` rows (logs, CI)."""
    stream = sys.stderr
    if stream.isatty():
        with click.progressbar(length=total, label="Nhập / importing", file=stream) as bar:
            yield bar.update
        return
    started, done, shown = time.monotonic(), 0, 0

    def update(count: int) -> None:
        nonlocal done, shown
        done += count
        if done - shown >= every or (done == total and shown < total):
            shown = done
            seconds = time.monotonic() - started
            click.echo(f"Nhập / importing: {done:,}/{total:,} ({done * 100 // max(total, 1)}%, "
                       f"{done / max(seconds, 1e-9):,.0f}/s)", err=True)

    yield update


async def send(
    settings: Settings, code: str, *, flow_id: str | None, now: datetime, qr_dir: Path | None = None
) -> None:
    """Create (or find) the survey of a dossier and print how to reach it (QR files into `qr_dir`)."""
    if flow_id:
        load_flow(flow_id, load_schema())  # an unknown flow is refused before anything is written
    async with open_configured(settings) as db:
        invitation = await send_survey(db, settings, code, now=now, flow_id=flow_id)
    state = "Đã tạo khảo sát / survey created" if invitation.created else "Khảo sát đã có / survey already open"
    expires = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(f"{state}: {invitation.dossier_code}")
    click.echo(f"Đường dẫn / link: {invitation.link}")
    click.echo(f"Hết hạn / expires: {expires}")

    for line in invitation_lines(settings, invitation, qr_dir):
        click.echo(line)


def simulate_json(
    flow_id: str, *, lang: str, channel: str, lines: Iterable[str], context: dict[str, str]
) -> dict:
    """Run a flow on replies read line by line; return the final evaluation record."""
    flow = load_flow(flow_id, load_schema())
    session = start(flow, _env(), lang=lang, channel=channel, context=context).session
    for line in lines:
        if session.status != SessionStatus.ACTIVE:
            break
        session = resume(flow, session, _env(), TextReply(line.rstrip("\r\n"))).session
    return evaluation_record(flow, session)


def simulate_terminal(flow_id: str, *, lang: str, channel: str, context: dict[str, str]) -> None:
    """Chat with a flow on this terminal."""
    flow = load_flow(flow_id, load_schema())
    run_terminal(flow, lang=lang, channel=channel, read_line=_read_line, write=click.echo,
                 env_factory=_env, context=context)


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None


def run_demo(data_dir: Path, *, port: int, reset: bool, serve: bool) -> None:
    """Seed a demo district on SQLite (once) and serve it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / "demo.db").resolve()
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = load_settings(
        env_file=None, database_url=f"sqlite+aiosqlite:///{path}", port=port,
        public_url=f"http://127.0.0.1:{port}",
    )
    upgrade(settings.database_url)
    summary = asyncio.run(seed_demo(settings, echo=click.echo))
    click.echo(summary)
    if serve:
        serve_forever(settings, host="127.0.0.1", port=port)


async def telegram_set_webhook(settings: Settings) -> None:
    """Register `<HAILONG_PUBLIC_URL>/webhooks/telegram` with the secret and our update types."""
    require_telegram(settings, webhook=True)
    url = f"{settings.public_url}/webhooks/telegram"
    async with open_bot(settings.telegram_bot_token, settings.telegram_api_base_url) as bot:
        await bot.set_webhook(url, secret_token=settings.telegram_webhook_secret,
                              allowed_updates=list(ALLOWED_UPDATES))
    click.echo(f"Đã đăng ký webhook / webhook registered: {url}")


async def telegram_poll(settings: Settings, *, rounds: int | None = None) -> int:
    """Fetch updates with getUpdates and feed them to the one inbound path, as the webhook does."""
    require_telegram(settings, webhook=False)
    async with open_configured(settings) as db:
        async with open_bot(settings.telegram_bot_token, settings.telegram_api_base_url) as bot:
            await bot.delete_webhook()  # getUpdates is refused while a webhook is set
            quiet_httpx()
            inbox = Inbox(db, settings, Conversations(db, load_schema()))
            dispatcher = polling_dispatcher(db, settings, bot)
            click.echo("Đang nhận tin / polling (Ctrl+C để dừng / to stop)")
            return await poll(inbox, bot, rounds=rounds, timeout=0 if rounds else 30, drain=dispatcher.drain)
