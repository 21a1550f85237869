"""Why a send was refused, and whose problem it is: the person's on this channel, or our account's.

- **person** (a bad number, no Zalo account, a blocked bot, a landline, opted out): this person
  cannot be reached on this channel of the plan; that one (address, channel) pair is closed and
  the invitation moves at once to the plan's next channel. Other channels that share the address
  (ZNS and SMS share the phone number) stay open.
- **account** (a permission, a quota, a template, our credentials: Twilio 21408 is the account's
  geographic permission, not the number): nobody is marked, the operators are alerted (one
  ERROR line per channel and code every `ALERT_EVERY`, and `hailong_send_refusals_total` in
  /metrics), and the invitation goes on to the next channel, so the citizen is not stranded.
- **message** (anything else final): this message failed; nobody is marked, the plan's next
  channel gets the invitation.

Codes per provider, as their documentation lists them (Zalo's: unconfirmed, see
/work/shared/docs/channels.md); the adapters in `channels/` keep only the raw code.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from channels.contract import Delivery

log = logging.getLogger(__name__)
ALERT_EVERY = 600.0  # seconds between two alert lines for one (channel, code), per process


class ReasonClass(StrEnum):
    PERSON = "person"
    ACCOUNT = "account"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A classified final outcome: `{"klass": "person", "reason": "no_account", "code": "-118"}`."""

    klass: ReasonClass
    reason: str
    code: str


# (channel, provider code) → reason of a person-level refusal.
PERSON_REASONS: dict[tuple[str, str], str] = {
    ("sms", "21211"): "bad_number",  # Twilio: invalid 'To' number
    ("sms", "21614"): "not_mobile",  # Twilio: 'To' is not a mobile number
    ("sms", "21612"): "not_reachable",  # Twilio: 'To' cannot be reached by SMS from this route
    ("sms", "21610"): "opted_out",  # Twilio: the person replied STOP
    ("sms", "30004"): "blocked",  # Twilio status callback: the recipient blocks messages
    ("sms", "30005"): "bad_number",  # Twilio status callback: unknown or inactive number
    ("sms", "30006"): "not_mobile",  # Twilio status callback: a landline or an unreachable carrier
    ("zalo_zns", "-108"): "bad_number",  # ZNS: invalid phone number
    ("zalo_zns", "bad_phone"): "bad_number",  # ours: not a Vietnamese mobile number
    ("zalo_zns", "-118"): "no_account",  # ZNS: the number has no Zalo account
    ("zalo_zns", "-119"): "blocked",  # ZNS: the account cannot receive ZNS (blocked)
    ("zalo", "-213"): "blocked",  # OA: the user unfollowed / blocked the OA
}
# (channel, provider code) → reason of an account-level refusal: alert, mark nobody.
ACCOUNT_REASONS: dict[tuple[str, str], str] = {
    ("sms", "21408"): "permission",  # Twilio: permission to send to this region is not enabled
    ("sms", "21606"): "permission",  # Twilio: the From number cannot send SMS
    ("sms", "21212"): "permission",  # Twilio: invalid From number
    ("sms", "20003"): "credentials",  # Twilio: authentication
    ("sms", "20429"): "quota",  # Twilio: too many requests for the account
    ("sms", "30001"): "quota",  # Twilio: queue overflow
    ("sms", "101"): "credentials",  # eSMS: ApiKey/SecretKey refused
    ("sms", "102"): "credentials",  # eSMS: account locked
    ("sms", "103"): "quota",  # eSMS: balance too low
    ("sms", "104"): "template",  # eSMS: brand name not registered
    ("sms", "146"): "template",  # eSMS: content not matching a registered template
    ("zalo_zns", "no_template"): "template",  # ours: no approved rating template configured
    ("zalo_zns", "-124"): "credentials",  # Zalo: access token refused after a refresh
    ("zalo_zns", "token_refused"): "credentials",
    ("zalo_zns", "-1137"): "quota",  # ZNS: daily quota of the OA reached (unconfirmed)
    ("zalo", "-124"): "credentials",
    ("zalo", "token_refused"): "credentials",
    ("telegram", "Unauthorized"): "credentials",  # the bot token was revoked
}


def classify(channel: str, delivery: Delivery, error: str | None) -> Refusal:
    """The class of a final outcome on `channel` (the plan's channel, e.g. "zalo_zns")."""
    code = (error or "").removeprefix("gave up: ").strip()
    if delivery is Delivery.OPTED_OUT:
        return Refusal(ReasonClass.PERSON, "opted_out", code)
    if (channel, code) in ACCOUNT_REASONS:
        return Refusal(ReasonClass.ACCOUNT, ACCOUNT_REASONS[channel, code], code)
    if (channel, code) in PERSON_REASONS:
        return Refusal(ReasonClass.PERSON, PERSON_REASONS[channel, code], code)
    if delivery is Delivery.UNREACHABLE:
        return Refusal(ReasonClass.PERSON, "blocked" if channel in ("telegram", "zalo") else "unreachable", code)
    return Refusal(ReasonClass.MESSAGE, "failed", code)


def takes_sms(phone: str) -> bool:
    """False for a number that cannot take SMS (a landline such as 024…, a toll-free or premium
    number), as phonenumbers knows it; True for mobiles and for what it cannot tell apart."""
    try:
        number = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
                    phonenumbers.PhoneNumberType.UNKNOWN) and phonenumbers.is_possible_number(number)


class Alerts:
    """Account-level refusals told to the operators: one ERROR line per (channel, code) every
    `ALERT_EVERY` seconds in this process, `hailong_send_refusals_total{class="account"}` in /metrics. Never the number or text."""

    def __init__(self, every: float = ALERT_EVERY) -> None:
        self._every: float = every
        self._last: dict[tuple[str, str], float] = {}

    def account(self, channel: str, refusal: Refusal, outbox_id: int | None) -> None:
        key = (channel, refusal.code)
        now = time.monotonic()
        if now - self._last.get(key, -self._every) >= self._every:
            self._last[key] = now
            log.error("operators: %s refused by the provider for our account (%s, code %s; outbox %s): "
                      "check the provider account; nobody was marked unreachable, the plan's next channel is tried",
                      channel, refusal.reason, refusal.code, outbox_id)

