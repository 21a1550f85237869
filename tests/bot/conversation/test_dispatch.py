"""The outbox drain: claims, outcomes, retries, order per person, shared limits, many drainers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.conversation.dispatch import Dispatcher, Policy
from channels.contract import Delivery, Outbound, SendOutcome
from storage import ContactAddress, OutboxMessage, enqueue, open_database, upsert_contact_address
from storage.limits import Rate
from storage.outbox import OutboxStatus, claim_due, finish
from storage.tables import Reachability

T0 = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeSender:
    """Answers from a script (then `sent`), recording every outbound it was given."""

    channel: str = "sms"
    script: list[SendOutcome] = field(default_factory=list)
    seen: list[Outbound] = field(default_factory=list)

    async def send(self, outbound: Outbound) -> SendOutcome:
        self.seen.append(outbound)
        if self.script:
            return self.script.pop(0)
        return SendOutcome(Delivery.SENT, provider_message_id=f"p{len(self.seen)}")


FAST = Policy(recipient_rate=Rate(1000, 1000), default_rate=Rate(1000, 1000), backoff=10)


async def _queue(db, n: int = 1, address: str = "+84912345678", channel: str = "sms") -> None:
    async with db.transaction() as s:
        for i in range(n):
            await enqueue(s, channel=channel, address=address, now=T0, payload={"text": f"m{i}", "choices": []})


async def _rows(db) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_sent_rows_record_the_provider_id_and_never_move_back(db) -> None:
    await _queue(db, 2)
    sender = FakeSender()
    assert await Dispatcher(db, {"sms": sender}, policy=FAST, clock=Clock()).drain() == 2
    rows = await _rows(db)
    assert [(r.status, r.provider_message_id, r.attempts) for r in rows] == [("sent", "p1", 1), ("sent", "p2", 1)]
    assert [o.text for o in sender.seen] == ["m0", "m1"]  # one person's messages in order
    async with db.transaction() as s:
        assert await claim_due(s, now=T0 + timedelta(days=1), lease=timedelta(seconds=60), limit=10) == []


async def test_a_retry_backs_off_and_gives_up_after_max_attempts(db) -> None:
    await _queue(db)
    clock = Clock()
    sender = FakeSender(script=[SendOutcome(Delivery.RETRY, error="timeout")] * 3)
    dispatcher = Dispatcher(db, {"sms": sender}, policy=Policy(**{**_fast(), "max_attempts": 3}), clock=clock)
    await dispatcher.drain()
    [row] = await _rows(db)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, T0 + timedelta(seconds=10))
    assert await dispatcher.drain() == 0  # not due yet
    clock.advance(10)
    await dispatcher.drain()
    [row] = await _rows(db)
    assert row.next_attempt_at == clock.now + timedelta(seconds=20)  # doubled
    clock.advance(20)
    await dispatcher.drain()
    [row] = await _rows(db)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "gave up: timeout")


def _fast() -> dict:
    return {"recipient_rate": Rate(1000, 1000), "default_rate": Rate(1000, 1000), "backoff": 10}


async def test_retry_after_is_honoured_for_the_whole_provider(db) -> None:
    await _queue(db, 1, "+84900000001")
    await _queue(db, 1, "+84900000002")
    clock = Clock()
    sender = FakeSender(script=[SendOutcome(Delivery.RETRY, retry_after=30, error="429")])
    dispatcher = Dispatcher(db, {"sms": sender}, policy=Policy(**{**_fast(), "batch": 1}), clock=clock)
    await dispatcher.drain()
    rows = await _rows(db)
    assert rows[0].next_attempt_at == T0 + timedelta(seconds=30) and len(sender.seen) == 1
    assert rows[1].status == "pending" and rows[1].attempts == 0  # held back by the provider's block
    clock.advance(30)
    await dispatcher.drain()
    assert [r.status for r in await _rows(db)] == ["sent", "sent"]


async def test_unreachable_closes_that_channel_of_the_address_and_failed_is_final(db) -> None:
    async with db.transaction() as s:
        await upsert_contact_address(s, channel="sms", address="+84912345678", now=T0)
    await _queue(db, 2)
    sender = FakeSender(script=[SendOutcome(Delivery.UNREACHABLE, error="21614"),
                                SendOutcome(Delivery.FAILED, error="bad")])
    await Dispatcher(db, {"sms": sender}, policy=FAST, clock=Clock()).drain()
    assert [r.status for r in await _rows(db)] == ["unreachable", "failed"]
    async with db.transaction() as s:
        # SMS is closed for this number (not a mobile); the address itself stays usable for ZNS.
        assert (await s.scalar(select(ContactAddress))).unreachable_at is None
        assert [(r.channel, r.reason, r.since) for r in await s.scalars(select(Reachability))] == \
            [("sms", "not_mobile", T0)]


async def test_a_lapsed_lease_is_claimed_again_and_the_old_claim_cannot_write(db) -> None:
    await _queue(db)
    lease = timedelta(seconds=60)
    async with db.transaction() as s:
        [first] = await claim_due(s, now=T0, lease=lease, limit=5)
    async with db.transaction() as s:
        assert await claim_due(s, now=T0 + timedelta(seconds=59), lease=lease, limit=5) == []
        [second] = await claim_due(s, now=T0 + timedelta(seconds=61), lease=lease, limit=5)
    assert second.attempts == 2
    async with db.transaction() as s:
        assert not await finish(s, first, OutboxStatus.SENT, now=T0)  # fenced out
        assert await finish(s, second, OutboxStatus.SENT, now=T0)
        assert not await finish(s, second, OutboxStatus.FAILED, now=T0)  # final stays final


async def test_the_provider_limit_is_shared_and_never_exceeded(db) -> None:
    await _queue(db, 1, "a")
    for i in range(29):
        await _queue(db, 1, f"r{i}")
    clock = Clock()
    sender = FakeSender()
    policy = Policy(provider_rates={"sms": Rate(10, 10)}, recipient_rate=Rate(1000, 1000))
    dispatcher = Dispatcher(db, {"sms": sender}, policy=policy, clock=clock)
    await dispatcher.drain()
    assert len(sender.seen) == 10
    clock.advance(0.5)
    await dispatcher.drain()
    assert len(sender.seen) == 15
    clock.advance(10)
    await dispatcher.drain()
    assert len(sender.seen) == 25  # the bucket holds at most its burst


async def test_the_recipient_limit_spaces_one_persons_messages(db) -> None:
    await _queue(db, 4)
    clock = Clock()
    sender = FakeSender()
    policy = Policy(default_rate=Rate(1000, 1000), recipient_rate=Rate(1, 2))
    dispatcher = Dispatcher(db, {"sms": sender}, policy=policy, clock=clock)
    await dispatcher.drain()
    assert [o.text for o in sender.seen] == ["m0", "m1"]
    clock.advance(1)
    await dispatcher.drain()
    assert [o.text for o in sender.seen] == ["m0", "m1", "m2"]


async def test_many_drainers_send_every_row_exactly_once(db, database_url: str) -> None:
    for i in range(40):
        await _queue(db, 3, f"addr{i}")
    sender = FakeSender()
    async with open_database(database_url) as a, open_database(database_url) as b, \
            open_database(database_url) as c:
        drainers = [Dispatcher(d, {"sms": sender}, policy=Policy(**{**_fast(), "batch": 7}), clock=Clock())
                    for d in (db, a, b, c)]
        for _ in range(3):  # one message per address per round (order per person)
            await asyncio.gather(*(d.drain() for d in drainers))
    texts = [(o.address, o.text) for o in sender.seen]
    assert len(texts) == 120 and len(set(texts)) == 120
    for i in range(40):
        assert [t for a, t in texts if a == f"addr{i}"] == ["m0", "m1", "m2"]
    assert {r.status for r in await _rows(db)} == {"sent"}


async def test_no_second_ever_sees_more_than_the_configured_limit(db) -> None:
    """HAILONG_SEND_LIMITS is a ceiling per one-second window, whatever the burst (not limit + burst)."""
    from bot.common.settings import load_settings
    from bot.conversation.dispatch import policy_of

    for i in range(150):
        await _queue(db, 1, f"r{i}")
    clock, stamps = Clock(), []

    class Stamping(FakeSender):
        async def send(self, outbound: Outbound) -> SendOutcome:
            stamps.append((clock.now - T0).total_seconds())
            return await super().send(outbound)

    policy = policy_of(load_settings(env_file=None, send_limits="sms=20"))
    policy = Policy(provider_rates=policy.provider_rates, recipient_rate=Rate(1000, 1000))
    dispatcher = Dispatcher(db, {"sms": Stamping()}, policy=policy, clock=clock)
    for _ in range(120):  # 6 s in steps of 50 ms, the drain running at every step
        await dispatcher.drain()
        clock.advance(0.05)
    busiest = max(sum(1 for t in stamps if start <= t < start + 1) for start in stamps)
    assert busiest <= 20 and len(stamps) >= 90  # and it still sends at close to the limit


async def test_each_row_is_its_own_esms_request_and_a_repeat_after_a_cut_send_is_delivered_once(db) -> None:
    """The outbox id is the eSMS RequestId: equal texts to one number stay two messages, and a
    send repeated after one that reached eSMS but was never recorded (the process died) is one."""
    from channels.esms import EsmsConfig, open_esms
    from tests.channels.esms_fake import FakeEsms

    await _queue(db, 2)
    async with db.transaction() as s:  # the same text twice to one number: two questions, two SMS
        for row in await s.scalars(select(OutboxMessage)):
            row.payload = {"text": "Ong/Ba hai long khong?", "choices": []}
    fake = FakeEsms()
    await fake.start()
    try:
        config = EsmsConfig(api_key="KEY", secret_key="SECRET", brandname="UBND-P1", api_base_url=fake.base_url)
        async with open_esms(config) as esms:

            class DiesAfterSending:
                """eSMS took the first message, then its sender died before the outcome was recorded."""

                channel = "sms"
                died = False

                async def send(self, outbound: Outbound) -> SendOutcome:
                    outcome = await esms.send(outbound)
                    if not self.died:
                        self.died = True
                        raise ConnectionResetError("killed after the provider answered")
                    return outcome

            clock = Clock()
            dispatcher = Dispatcher(db, {"sms": DiesAfterSending()}, policy=FAST, clock=clock)
            await dispatcher.drain()
            clock.advance(60)
            await dispatcher.drain()
    finally:
        await fake.stop()
    rows = await _rows(db)
    keys = [body["RequestId"] for body in fake.requests]
    assert keys == [f"outbox-{rows[0].id}", f"outbox-{rows[0].id}", f"outbox-{rows[1].id}"]
    assert [(r.status, r.attempts) for r in rows] == [("sent", 2), ("sent", 1)]
    assert len(fake.seen) == 2 and rows[0].provider_message_id != rows[1].provider_message_id


@dataclass
class CountingSender:
    """Records how many sends were out at once, new messages and edits in place apart."""

    channel: str = "telegram"
    out: dict[bool, int] = field(default_factory=lambda: {False: 0, True: 0})
    most: dict[bool, int] = field(default_factory=lambda: {False: 0, True: 0})

    async def send(self, outbound: Outbound) -> SendOutcome:
        edit = outbound.replaces is not None
        self.out[edit] += 1
        self.most[edit] = max(self.most[edit], self.out[edit])
        await asyncio.sleep(0.05)
        self.out[edit] -= 1
        return SendOutcome(Delivery.SENT, provider_message_id=outbound.replaces or "9")


async def test_questions_edited_in_place_go_out_at_once_new_messages_one_at_a_time(db) -> None:
    """`in_flight` (1) bounds the new messages a crash could repeat; an edit made again changes
    nothing on screen, so edits to different people do not wait for each other."""
    async with db.transaction() as s:
        for i in range(6):
            await enqueue(s, channel="telegram", address=f"{5000 + i}", now=T0,
                          payload={"text": f"q{i}", "choices": [], "replaces": str(10 + i)})
            await enqueue(s, channel="telegram", address=f"{6000 + i}", now=T0, payload={"text": f"n{i}", "choices": []})
    sender = CountingSender()
    policy = Policy(provider_rates={"telegram": Rate(1000, 1000)}, recipient_rate=Rate(1000, 1000))
    assert await Dispatcher(db, {"telegram": sender}, policy=policy, clock=Clock()).drain() == 12
    assert sender.most[False] == 1 and sender.most[True] > 1
    assert {(r.status, r.attempts) for r in await _rows(db)} == {("sent", 1)}
