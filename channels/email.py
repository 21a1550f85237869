"""E-mail over SMTP, for notices to supervisors (alerts): a pure `render`, a short `send`.

Citizens are never e-mailed; this channel only carries the follow-up notices that name a
dossier code and a deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from channels.contract import ChannelName, Delivery, Outbound, SendOutcome

SUBJECT_LIMIT = 120


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and as whom to send: `{"host": "smtp.example.vn", "port": 587, "sender": "hailong@…"}`."""

    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = True
    timeout: float = 15.0


def render(outbound: Outbound, *, sender: str) -> EmailMessage:
    """A plain-text e-mail; the subject is the text's first line (Vietnamese first)."""
    message = EmailMessage()
    first_line = outbound.text.strip().splitlines()[0] if outbound.text.strip() else "hailong"
    message["Subject"] = first_line[:SUBJECT_LIMIT]
    message["From"] = sender
    message["To"] = outbound.address
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(outbound.text)
    return message


class EmailSender:
    """The SMTP `Sender`: 4xx answers and lost connections are retried, 5xx answers are final."""

    channel = ChannelName.EMAIL

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send(self, outbound: Outbound) -> SendOutcome:
        message = render(outbound, sender=self._config.sender)
        try:
            await aiosmtplib.send(
                message, hostname=self._config.host, port=self._config.port,
                username=self._config.username or None, password=self._config.password or None,
                start_tls=self._config.starttls, timeout=self._config.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return _answer(exc.recipients[0].code if exc.recipients else 550)
        except aiosmtplib.SMTPResponseException as exc:
            return _answer(exc.code)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendOutcome(Delivery.RETRY, error=type(exc).__name__)
        return SendOutcome(Delivery.SENT, provider_message_id=message["Message-ID"])


def _answer(code: int) -> SendOutcome:
    """A server's refusal: temporary (4xx) or final (5xx); the code only, never the address."""
    delivery = Delivery.RETRY if 400 <= code < 500 else Delivery.FAILED
    return SendOutcome(delivery, error=f"smtp {code}")
