"""A dissatisfied citizen's alert reaches the supervisors' mailbox through the outbox drain."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from live import free_port
from sqlalchemy import select

from bot.app import create_app
from bot.common.settings import load_settings
from bot.conversation.dispatch import Dispatcher
from bot.web.keys import SENDERS
from channels.email import EmailSender, SmtpConfig
from storage import OutboxMessage
from tests.bot.conversation.test_alerts import CODE, PHONE, _chat
from tests.channels.test_channels_email import Mailbox


async def test_the_alert_email_is_sent_by_the_dispatcher_with_the_dossier_code_only(db) -> None:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await _chat(db, "1", {"email": "giamsat@ubnd.example.vn", "days": 3})
        sender = EmailSender(SmtpConfig("127.0.0.1", port, "hailong@ubnd.example.vn", starttls=False))
        await Dispatcher(db, {"email": sender}).drain()
    finally:
        controller.stop()
    (_, rcpt_tos, content), = box.messages
    mail = message_from_bytes(content, policy=default)
    assert rcpt_tos == ["giamsat@ubnd.example.vn"]
    assert CODE in mail["Subject"] and CODE in mail.get_content()
    assert PHONE not in content.decode() and PHONE.removeprefix("+84") not in content.decode()
    async with db.transaction() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.channel == "email"))
    assert row.status == "sent" and row.provider_message_id == mail["Message-ID"]


def test_the_app_registers_the_email_sender_only_when_smtp_is_configured() -> None:
    off = create_app(load_settings(env_file=None))
    on = create_app(load_settings(env_file=None, smtp_host="smtp.example.vn", smtp_from="hl@example.vn"))
    assert "email" not in off[SENDERS] and isinstance(on[SENDERS]["email"], EmailSender)


async def test_failed_sms_reports_hand_the_invitation_to_the_scheduler(database_url) -> None:
    from aiohttp.test_utils import TestServer

    from bot.web.keys import SCHEDULER, SMS_REPORTS

    settings = load_settings(env_file=None, database_url=database_url, twilio_account_sid="AC" + "0" * 32,
                             twilio_auth_token="secret", twilio_from_number="+15005550006",
                             twilio_api_base_url=f"http://127.0.0.1:{free_port()}")
    app = create_app(settings)
    async with TestServer(app):
        assert app[SMS_REPORTS].on_failed == app[SCHEDULER].fall_back
