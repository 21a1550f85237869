"""The outbox drain: claim due rows, respect the shared limits, send through each channel's Sender.

Any number of processes run it at once: rows are claimed in one statement (SKIP LOCKED on
PostgreSQL), one person's messages go out in order, limits live in the database. A row whose
sender died mid-send is claimed again when its lease ends (at least once, never silently lost);
each send carries the row's id as its idempotency key, so a provider that honours one (eSMS's
RequestId) delivers such a repeat once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.metrics import METRICS
from bot.common.settings import Settings
from bot.conversation.reachability import Alerts, ReasonClass, classify
from bot.conversation.turns import utc_now
from channels.contract import Choice, Delivery, Outbound, Sender, SendOutcome
from channels.registry import REGISTRY
from storage import Database, mark_unreachable
from storage.limits import Rate, acquire, acquire_each, block, release
from storage.outbox import Claimed, OutboxStatus, claim_due, finish, finish_sent, next_due, retry_later
from storage.reach import close_channel

log = logging.getLogger(__name__)
# Channels whose address is another channel's: ZNS goes to the phone number SMS knows.
ADDRESS_CHANNEL = {spec.name: spec.address_of for spec in REGISTRY.values() if spec.address_of}
FINAL_OF = {Delivery.FAILED: OutboxStatus.FAILED, Delivery.UNREACHABLE: OutboxStatus.UNREACHABLE,
            Delivery.OPTED_OUT: OutboxStatus.OPTED_OUT}
DELIVERY_OF = {status: delivery for delivery, status in FINAL_OF.items()}
# Channels whose address no other channel shares: a person-level refusal also stamps the address itself.
OWN_ADDRESS = frozenset({"telegram", "zalo"})
OnFinal = Callable[[AsyncSession, Claimed, OutboxStatus], Awaitable[None]]
Guard = Callable[[AsyncSession, Claimed], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Policy:
    """How hard and how fast to send; the defaults follow the providers' published limits."""

    batch: int = 64
    lease: timedelta = timedelta(seconds=30)  # longer than any send takes (Bot API timeouts are 5 s)
    max_attempts: int = 8
    backoff: float = 2.0  # seconds before the 2nd attempt, doubled each time
    backoff_cap: float = 900.0
    idle: float = 1.0  # look at the queue at least this often (other processes' work, retries)
    provider_rates: Mapping[str, Rate] = field(default_factory=lambda: {"telegram": Rate(30, 30)})
    default_rate: Rate = Rate(10, 10)
    recipient_rate: Rate = Rate(1, 3)  # Telegram: about one message a second per chat
    # Sends of one process whose outcome is not committed yet, at most. A SIGKILL repeats exactly
    # those the provider had taken (Telegram, Twilio and Zalo take no key of ours), so 1 bounds the
    # repeats at one message per killed process: each outcome is committed before the next send.
    # Questions edited in place are not counted: made again, an edit shows nothing new.
    in_flight: int = 1

    def delay(self, attempts: int, retry_after: float | None) -> float:
        """Seconds until the next attempt: exponential, never sooner than the provider asked."""
        return float(max(retry_after or 0.0, min(self.backoff * 2 ** (attempts - 1), self.backoff_cap)))


@dataclass(frozen=True, slots=True)
class Sent:
    """One attempt's outcome and how long the provider took."""

    row: Claimed
    outcome: SendOutcome
    seconds: float


class Dispatcher:
    """Drains the outbox through a `{channel: Sender}` registry; `run()` is the background task."""

    def __init__(
        self, db: Database, senders: Mapping[str, Sender], *, policy: Policy = Policy(),
        clock: Callable[[], datetime] = utc_now, on_final: OnFinal | None = None, guard: Guard | None = None,
    ) -> None:
        self._db, self._senders, self._policy, self._clock = db, senders, policy, clock
        self._on_final, self._guard = on_final, guard
        self.alerts = Alerts()  # account-level refusals told to the operators
        self._wake = asyncio.Event()
        self._next_due: datetime | None = None  # the queue's next due time, as the last empty claim saw it

    def wake(self) -> None:
        """New work was committed: look now instead of at the next tick."""
        self._wake.set()

    async def run(self) -> None:
        """Drain until cancelled; sleep until woken, the next due row, or the idle tick."""
        while True:
            # Cleared before the drain looks: a commit that wakes it meanwhile is seen at once, not
            # at the next idle tick (clearing after the drain lost such a wake-up for up to `idle`).
            self._wake.clear()
            try:
                await self.drain()
                pause = self._pause()
            except Exception:  # the loop must outlive a database hiccup; the row stays queued
                log.exception("outbox drain failed")
                pause = self._policy.idle
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=pause)
            except TimeoutError:
                pass

    def _pause(self) -> float:
        """Until the next due row (read when the drain found nothing more), at most `idle`."""
        due = self._next_due
        if due is None:
            return self._policy.idle
        return min(self._policy.idle, max(0.0, (due - self._clock()).total_seconds()))

    async def drain(self) -> int:
        """Send everything due now; the number of rows handled."""
        total = 0
        while handled := await self.drain_once():
            total += handled
        return total

    async def drain_once(self) -> int:
        """Claim one batch, send what the limits allow, record every outcome."""
        # One short transaction claims the rows and takes their limits' tokens (committed with the
        # webhooks' turns: SQLite group commit); a failure leaves neither.
        async with self._db.grouped() as s:
            rows = await claim_due(s, now=self._clock(), lease=self._policy.lease, limit=self._policy.batch)
            if not rows:
                self._next_due = await next_due(s)  # for run()'s pause: no transaction of its own
                return 0
            ready = await self._admit(s, rows)
        # Each outcome is committed as soon as its send returns, and at most `in_flight` new messages
        # are out at once: a crash then repeats at most that many, never a finished batch. A question
        # edited in place goes at once (one person's rows are claimed one at a time, in order): made
        # again after a crash it changes nothing on screen ("message is not modified" counts as sent).
        window = asyncio.Semaphore(self._policy.in_flight)

        async def one(row: Claimed) -> None:
            if row.payload.get("replaces"):
                await self._send_and_record(row)
                return
            async with window:
                await self._send_and_record(row)

        await asyncio.gather(*(one(row) for row in ready))
        return len(rows)

    async def _send_and_record(self, row: Claimed) -> None:
        await self._record([await self._send(row)])

    async def _admit(self, s: AsyncSession, rows: list[Claimed]) -> list[Claimed]:
        """Rows the guard lets through and the shared limits allow now; the others wait or end."""
        now, ready = self._clock(), []
        wanted = [row for row in rows if self._guard is None or await self._wanted(s, row, now)]
        for channel in dict.fromkeys(row.channel for row in wanted):
            ready += await self._within_limits(s, [r for r in wanted if r.channel == channel], now)
        return sorted(ready, key=lambda r: r.id)

    async def _wanted(self, s: AsyncSession, row: Claimed, now: datetime) -> bool:
        if self._guard is not None and await self._guard(s, row):
            return True
        await finish(s, row, OutboxStatus.CANCELLED, now=now, error="no longer wanted")
        return False

    async def _within_limits(self, s: AsyncSession, rows: list[Claimed], now: datetime) -> list[Claimed]:
        """One provider bucket taken for the whole group, then each recipient's; the rest wait their turn."""
        key, rate = f"provider:{rows[0].channel}", self._provider_rate(rows[0].channel)
        grant = await acquire(s, key, rate, now=now, want=len(rows))
        for k, row in enumerate(rows[grant.granted:]):
            wait = grant.wait + k / rate.per_second  # each when its token will be there
            await retry_later(s, row, at=now + timedelta(seconds=max(wait, 0.001)), error=None, count=False)
        # The per-recipient limit counts messages the person sees arrive, not a question edited in place.
        ready = [row for row in rows[:grant.granted] if row.payload.get("replaces")]
        granted = [row for row in rows[:grant.granted] if not row.payload.get("replaces")]
        recipients = await acquire_each(s, [f"recipient:{row.channel}:{row.address}" for row in granted],
                                        self._policy.recipient_rate, now=now)
        for row, recipient in zip(granted, recipients):
            if recipient.granted:
                ready.append(row)
                continue
            await release(s, key, rate, now=now)  # this row did not use its provider token
            await retry_later(s, row, at=now + timedelta(seconds=recipient.wait), error=None, count=False)
        return ready

    def _provider_rate(self, channel: str) -> Rate:
        return self._policy.provider_rates.get(channel, self._policy.default_rate)

    async def _send(self, row: Claimed) -> Sent:
        sender = self._senders.get(row.channel)
        started = time.perf_counter()
        if sender is None:
            outcome = SendOutcome(Delivery.RETRY, error=f"no sender for {row.channel}")  # not configured (yet)
        else:
            try:
                outcome = await sender.send(outbound_of(row))
            except Exception as exc:  # a sender bug must not lose the row: retry, then give up
                log.exception("sender %s raised", row.channel)
                outcome = SendOutcome(Delivery.RETRY, error=type(exc).__name__)
        seconds = time.perf_counter() - started
        METRICS.observe_send(row.channel, str(outcome.delivery), seconds)
        return Sent(row, outcome, seconds)

    async def _record(self, results: list[Sent]) -> None:
        now = self._clock()
        async with self._db.grouped() as s:
            await finish_sent(s, [(r.row, r.outcome.provider_message_id) for r in results
                                  if r.outcome.delivery is Delivery.SENT], now=now)
            for result in results:
                if result.outcome.delivery is not Delivery.SENT:
                    await self._outcome(s, result.row, result.outcome, now)

    async def _outcome(self, s: AsyncSession, row: Claimed, outcome: SendOutcome, now: datetime) -> None:
        if outcome.delivery is Delivery.SENT:
            await finish(s, row, OutboxStatus.SENT, now=now, provider_message_id=outcome.provider_message_id)
        elif outcome.delivery is Delivery.RETRY:
            await self._retry(s, row, outcome, now)
        else:
            await self._final(s, row, FINAL_OF[outcome.delivery], outcome.error, now)

    async def _retry(self, s: AsyncSession, row: Claimed, outcome: SendOutcome, now: datetime) -> None:
        if outcome.retry_after:
            await block(s, f"provider:{row.channel}", self._provider_rate(row.channel), now=now,
                        seconds=outcome.retry_after)
        if row.attempts >= self._policy.max_attempts:
            await self._final(s, row, OutboxStatus.FAILED, f"gave up: {outcome.error}", now)
            return
        at = now + timedelta(seconds=self._policy.delay(row.attempts, outcome.retry_after))
        log.info("send failed: outbox %s, channel %s, retry %d (code %s)", row.id, row.channel, row.attempts,
                 outcome.error or "-")
        await retry_later(s, row, at=at, error=outcome.error)

    async def _final(self, s: AsyncSession, row: Claimed, status: OutboxStatus, error: str | None, now: datetime) -> None:
        refusal = classify(row.channel, DELIVERY_OF[status], error)
        if refusal.klass is not ReasonClass.PERSON and status is not OutboxStatus.FAILED:
            status = OutboxStatus.FAILED  # the address is not at fault: the row failed, nobody is marked
        if not await finish(s, row, status, now=now, error=error):
            return  # the lease ran out and another process owns the row now
        METRICS.observe_refusal(row.channel, str(refusal.klass), refusal.reason)
        log.info("send failed: outbox %s, channel %s, %s-level (%s, code %s)",
                 row.id, row.channel, refusal.klass, refusal.reason, refusal.code or "-")
        if refusal.klass is ReasonClass.PERSON:
            # This (address, channel) pair is closed; channels sharing the address (ZNS and SMS share
            # the phone) stay open, and the plan's next channel is tried at once (on_final).
            channel = ADDRESS_CHANNEL.get(row.channel, row.channel)
            await close_channel(s, channel=row.channel, address_channel=channel, address=row.address,
                                reason=refusal.reason, now=now)
            if row.channel in OWN_ADDRESS:
                await mark_unreachable(s, channel=channel, address=row.address, now=now)
        elif refusal.klass is ReasonClass.ACCOUNT:
            self.alerts.account(row.channel, refusal, row.id)
        if self._on_final is not None:
            await self._on_final(s, row, status)

def outbound_of(row: Claimed) -> Outbound:
    """The channel-neutral message stored in the outbox, as a Sender takes it."""
    payload = row.payload
    choices = tuple(Choice(str(c["code"]), str(c["label"])) for c in payload.get("choices") or ())
    return Outbound(row.channel, row.address, payload["text"], choices,  # type: ignore[arg-type]
                    step=payload.get("step"), multi=bool(payload.get("multi")),
                    reference=str(row.survey_id) if row.survey_id is not None else None,
                    key=f"outbox-{row.id}", replaces=payload.get("replaces"))


def policy_of(settings: Settings) -> Policy:
    """The send policy from the settings: `telegram=30,sms=10` → a shared bucket per provider."""
    rates = {}
    for item in filter(None, settings.send_limits.split(",")):
        channel, _, rate = item.partition("=")
        # Telegram (and every provider) counts per second: no one-second window may see more.
        rates[channel.strip()] = Rate.capped(float(rate))
    return Policy(provider_rates=rates, in_flight=settings.send_in_flight)
