"""A realistic demo district: agencies, procedures, officers, returned dossiers, evaluations.

Evaluations are not inserted directly: simulated citizens answer through the same engine and
conversation service as real ones, so the demo exercises the product's one path.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.settings import Settings
from bot.conversation.surveys import send_survey
from bot.conversation.turns import Conversations
from bot.demo.links import DEMO_PASSWORD, DEMO_USERS, open_demo_links
from storage import (
    Database,
    find_survey,
    list_agencies,
    open_database,
    upsert_agency,
    upsert_dossier,
    upsert_field,
    upsert_officer,
    upsert_procedure,
)
from survey_flows import DossierStatus, Flow, TextReply, load_schema

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SEED = 61  # Decree 61/2018: a fixed seed makes every demo database the same.

AGENCIES = (
    ("000.00.31.H29", "Văn phòng HĐND và UBND Quận 3"),
    ("000.31.31.H29", "UBND Phường Võ Thị Sáu"),
    ("000.32.31.H29", "UBND Phường 1"),
    ("000.33.31.H29", "UBND Phường 2"),
    ("000.34.31.H29", "UBND Phường 4"),
)
FIELDS = (
    ("HT", "Hộ tịch", (("HT-01", "Đăng ký khai sinh", 1), ("HT-02", "Đăng ký kết hôn", 3), ("HT-03", "Trích lục hộ tịch", 1))),
    ("CT", "Chứng thực", (("CT-01", "Chứng thực bản sao từ bản chính", 1), ("CT-02", "Chứng thực chữ ký", 1))),
    ("XD", "Xây dựng", (("XD-01", "Cấp giấy phép xây dựng nhà ở riêng lẻ", 15), ("XD-02", "Điều chỉnh giấy phép xây dựng", 10))),
    ("KD", "Đăng ký kinh doanh", (("KD-01", "Đăng ký thành lập hộ kinh doanh", 3), ("KD-02", "Thay đổi nội dung đăng ký hộ kinh doanh", 3))),
    ("DD", "Đất đai", (("DD-01", "Đăng ký biến động đất đai", 10),)),
)
OFFICERS = ("Nguyễn Thị Lan", "Trần Văn Minh", "Lê Thị Hoa", "Phạm Quốc Bảo", "Võ Thị Thu", "Hoàng Văn Nam",
            "Đặng Thị Mai", "Bùi Văn Hùng", "Đỗ Thị Ngọc", "Huỳnh Văn Phúc")
CHANNELS = (("kiosk", 35), ("web", 25), ("zalo", 20), ("telegram", 10), ("sms", 10))
COMMENTS_GOOD = ("Cán bộ nhiệt tình, hướng dẫn rõ ràng.", "Nhanh gọn, cảm ơn.", "Rất hài lòng.")
COMMENTS_BAD = ("Phải đi lại nhiều lần.", "Chờ lâu quá.", "Hướng dẫn chưa rõ, cần niêm yết đầy đủ hơn.")
DOSSIERS = 700
EVALUATED_SHARE = 0.55


async def seed_demo(settings: Settings, *, echo: Callable[[str], None], today: date | None = None) -> str:
    """Seed the district once; a database that already has agencies is left as it is."""
    rng = random.Random(SEED)
    today = today or datetime.now(VN).date()
    async with open_database(settings.database_url) as db:
        async with db.transaction() as s:
            if await list_agencies(s):
                return "Dữ liệu mẫu đã có sẵn. / Demo data already present."
        echo("Đang tạo dữ liệu mẫu… / Seeding the demo district…")
        dossiers = await _seed_directory_and_dossiers(db, rng, today)
        evaluated = await _evaluate(db, settings, rng, dossiers)
        api_key = await open_demo_links(db, settings, [code for code, _ in dossiers])
    return (
        f"Đã tạo {len(AGENCIES)} cơ quan, {len(dossiers)} hồ sơ, {evaluated} phiếu đánh giá.\n"
        f"Seeded {len(AGENCIES)} agencies, {len(dossiers)} dossiers, {evaluated} evaluations.\n"
        f"Khảo sát, quầy, API / surveys, kiosk, API: {settings.public_url}/demo (API key: {api_key})\n"
        f"Kết quả công khai / public results: {settings.public_url}/public/results\n"
        f"Trang cán bộ / staff pages: {settings.public_url}/staff — "
        f"{', '.join(u for u, *_ in DEMO_USERS)} (mật khẩu / password: {DEMO_PASSWORD})"
    )


async def _seed_directory_and_dossiers(db: Database, rng: random.Random, today: date) -> list[tuple[str, date]]:
    now = datetime.now(timezone.utc)
    created: list[tuple[str, date]] = []
    async with db.transaction() as s:
        procedures = []
        for fcode, fname, procs in FIELDS:
            field = await upsert_field(s, code=fcode, name=fname)
            for pcode, pname, days in procs:
                p = await upsert_procedure(s, code=pcode, name=pname, field_id=field.id, legal_days=days)
                procedures.append((p.id, days))
        names = iter(rng.sample(OFFICERS, len(OFFICERS)))
        for index, (acode, aname) in enumerate(AGENCIES):
            agency = await upsert_agency(s, code=acode, name=aname, now=now)
            officers = [
                (await upsert_officer(s, agency_id=agency.id, code=f"CB{index}{n}", name=next(names, f"Cán bộ {index}{n}"))).id
                for n in range(2)
            ]
            for seq in range(1, DOSSIERS // len(AGENCIES) + 1):
                code, returned = await _dossier(s, rng, today, acode, agency.id, seq, procedures, officers, now)
                if returned is not None:
                    created.append((code, returned))
    return created


async def _dossier(s: AsyncSession, rng: random.Random, today: date, acode: str, agency_id: int, seq: int,
                   procedures: list[tuple[int, int]], officers: list[int], now: datetime) -> tuple[str, date | None]:
    received = today - timedelta(days=rng.randint(5, 270))
    procedure_id, days = rng.choice(procedures)
    due = received + timedelta(days=days)
    returned = due + timedelta(days=rng.choice((-2, -1, -1, 0, 0, 0, 0, 1, 3)))
    returned = max(received, returned)
    status = DossierStatus.RETURNED if returned < today else DossierStatus.PROCESSING
    code = f"{acode}-{received:%y%m%d}-{seq:04d}"
    await upsert_dossier(
        s, code=code, agency_id=agency_id, status=int(status), received_on=received, due_on=due,
        returned_on=returned if status == DossierStatus.RETURNED else None,
        procedure_id=procedure_id, officer_id=rng.choice(officers), now=now,
    )
    return code, (returned if status == DossierStatus.RETURNED else None)


async def _evaluate(db: Database, settings: Settings, rng: random.Random, dossiers: list[tuple[str, date]]) -> int:
    """Let simulated citizens answer a share of the returned dossiers through the engine."""
    clock = _Clock()
    conversations = Conversations(db, load_schema(), clock=clock)
    chosen = rng.sample(dossiers, int(len(dossiers) * EVALUATED_SHARE))
    completed = 0
    with click.progressbar(chosen, label="Đánh giá mẫu / demo evaluations", file=sys.stderr) as bar:
        for code, returned in bar:
            clock.at = datetime.combine(returned, time(rng.randint(8, 16), rng.randint(0, 59)), VN)
            completed += await _citizen(db, settings, conversations, rng, code, clock)
    return completed


class _Clock:
    """The demo's time: each simulated citizen answers on the day the dossier was returned."""

    at = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=7)
        return self.at.astimezone(timezone.utc)


async def _citizen(db: Database, settings: Settings, conversations: Conversations, rng: random.Random, code: str, clock: _Clock) -> int:
    invitation = await send_survey(db, settings, code, now=clock(), actor="demo")
    async with db.transaction() as s:
        survey = await find_survey(s, token=invitation.token)
    assert survey is not None  # send_survey has just made it
    channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
    happy = rng.random() < 0.82
    turn = await conversations.begin(survey, channel=channel)
    flow = conversations.flow(survey.flow_id)
    for _ in range(30):
        if str(turn.session.status) != "active" or not turn.messages:
            break
        reply = _answer(flow, turn.messages[-1], rng, happy)
        turn = await conversations.reply(survey, TextReply(reply))
    return int(str(turn.session.status) == "completed")


def _answer(flow: Flow, message: Any, rng: random.Random, happy: bool) -> str:
    """A plausible reply: typed words for yes/no, numbers and comments, a position for choices."""
    kind = str(next((s.kind for s in flow.steps if s.id == message.step_id), "text"))
    if kind == "yesno":
        return "không" if happy or rng.random() < 0.5 else "có"
    if kind == "number":
        return rng.choice(("0", "0", "1")) if happy else rng.choice(("1", "2", "3"))
    if kind == "reasons":
        picks = rng.sample(range(1, len(message.choices) + 1), k=min(2, len(message.choices)))
        return " ".join(map(str, sorted(picks)))
    if kind == "text":
        return rng.choice(COMMENTS_GOOD if happy else COMMENTS_BAD)
    if not message.choices:
        return "ok"
    weights = [0.6, 0.35, 0.05] if happy else [0.05, 0.25, 0.7]
    n = len(message.choices)
    weights = (weights + [0.02] * n)[:n] if happy else ([0.02] * n + weights)[-n:]
    return str(rng.choices(message.choices, weights=weights)[0].code)
