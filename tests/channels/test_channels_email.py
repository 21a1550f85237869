"""E-mail notices through a real SMTP server on loopback (aiosmtpd), not a patched client."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from live import free_port

from channels.contract import ChannelName, Delivery, Outbound
from channels.email import EmailSender, SmtpConfig, render

TEXT = ("⚠️ Hồ sơ 000.17.22.H56-210531-0001: người dân chưa hài lòng (satisfaction.overall=0). "
        "Cần xử lý trước 30/11/2026.\nDossier 000.17.22.H56-210531-0001: the applicant is not satisfied.")


class Mailbox:
    """An SMTP handler that keeps what it receives, or refuses recipients with a given answer."""

    def __init__(self, refuse: str | None = None) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp():
    def start(refuse: str | None = None) -> tuple[Mailbox, int]:
        box, port = Mailbox(refuse), free_port()
        controller = Controller(box, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return box, port

    started: list[Controller] = []
    yield start
    for controller in started:
        controller.stop()


def config(port: int) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, sender="hailong@ubnd.example.vn", starttls=False)


def test_render_uses_the_first_line_as_subject() -> None:
    message = render(Outbound(ChannelName.EMAIL, "giamsat@ubnd.example.vn", TEXT), sender="hailong@ubnd.example.vn")
    assert message["Subject"].startswith("⚠️ Hồ sơ 000.17.22.H56-210531-0001") and len(message["Subject"]) <= 120
    assert message["To"] == "giamsat@ubnd.example.vn" and message["Message-ID"].endswith("@ubnd.example.vn>")
    assert message.get_content().strip() == TEXT


async def test_a_notice_is_delivered_to_the_smtp_server(smtp) -> None:
    box, port = smtp()
    outcome = await EmailSender(config(port)).send(Outbound(ChannelName.EMAIL, "giamsat@ubnd.example.vn", TEXT))
    assert outcome.delivery is Delivery.SENT and outcome.provider_message_id
    (mail_from, rcpt_tos, content), = box.messages
    assert mail_from == "hailong@ubnd.example.vn" and rcpt_tos == ["giamsat@ubnd.example.vn"]
    received = message_from_bytes(content, policy=default)
    assert received.get_content().strip() == TEXT and received["Message-ID"] == outcome.provider_message_id


@pytest.mark.parametrize(("answer", "delivery"), [
    ("450 Mailbox busy", Delivery.RETRY),
    ("550 No such user", Delivery.FAILED),
])
async def test_refusals_are_temporary_or_final_and_never_echo_the_address(smtp, answer, delivery) -> None:
    _, port = smtp(refuse=answer)
    outcome = await EmailSender(config(port)).send(Outbound(ChannelName.EMAIL, "giamsat@ubnd.example.vn", TEXT))
    assert outcome.delivery is delivery and outcome.error == f"smtp {answer[:3]}"
    assert "giamsat" not in (outcome.error or "")


async def test_an_unreachable_server_is_retried_later() -> None:
    outcome = await EmailSender(config(free_port())).send(Outbound(ChannelName.EMAIL, "a@b.vn", TEXT))
    assert outcome.delivery is Delivery.RETRY
