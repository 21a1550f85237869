"""The one path every survey turn takes: load the session, run the engine, save it all at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.alerts import follow_up_dissatisfied, register_conduct_complaint
from bot.conversation.flows import load_revision
from bot.conversation.surveys import start_problem
from reports.versions import local_day, schema_on
from storage import (
    AnswerIn,
    Database,
    DuplicateEvaluation,
    NotFound,
    StaleSession,
    Survey,
    dossier_names,
    get_dossier,
    pin_flow_revision,
    published_revision,
    record_evaluation,
    set_survey_contact,
    step_dates,
    upsert_contact_address,
)
from storage.locks import lock_key
from storage.messages import queue
from storage.schedule import cancel_jobs
from storage.surveys import mark_survey, read_session, write_session
from survey_flows import (
    Env,
    Event,
    Flow,
    MessageSent,
    Reply,
    Schema,
    Session,
    SessionStatus,
    dossier_points,
    load_flow,
    resume,
    start,
)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_event_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Turn:
    """What one turn produced: the session after it and the engine's events."""

    session: Session
    events: tuple[Event, ...]

    @property
    def messages(self) -> tuple[MessageSent, ...]:
        return tuple(e for e in self.events if isinstance(e, MessageSent))


class Conversations:
    """Runs survey sessions against the database; any process can take any turn."""

    def __init__(
        self, db: Database, schema: Schema, *,
        clock: Callable[[], datetime] = utc_now, new_id: Callable[[], str] = new_event_id,
    ) -> None:
        self._db, self._schema = db, schema
        self._clock, self._new_id = clock, new_id
        # (flow id, revision) -> Flow: a revision never changes, so no turn reads it twice.
        self._flows: dict[tuple[str, int], Flow] = {}
        # Called after a commit that queued messages: the app points it at the dispatcher's wake-up.
        self.on_enqueue: Callable[[], None] = lambda: None

    @property
    def schema(self) -> Schema:
        """The scoring schema every turn records its evaluation under."""
        return self._schema

    def flow(self, flow_id: str) -> Flow:
        """The shipped flow of that id (revision 0), loaded once (flows are immutable once loaded)."""
        if (flow_id, 0) not in self._flows:
            self._flows[flow_id, 0] = load_flow(flow_id, self._schema)
        return self._flows[flow_id, 0]

    async def flow_for(self, survey: Survey, *, started: bool = True) -> Flow:
        """The flow a survey runs: its pinned revision, or (not started yet) the one published now."""
        if survey.flow_revision is not None and (survey.flow_id, survey.flow_revision) in self._flows:
            return self._flows[survey.flow_id, survey.flow_revision]
        async with self._db.transaction() as s:
            revision = survey.flow_revision
            if revision is None:  # a session without a pin began before revisions: the shipped file
                revision = 0 if started else await published_revision(s, survey.flow_id)
            return await self._revision(s, survey.flow_id, revision)

    async def _flow_in(self, s: AsyncSession, survey: Survey, *, starting: bool) -> Flow:
        """The survey's pinned flow; a starting session pins the revision published now.

        A survey without a pin that is not starting began before revisions existed: the shipped file.
        """
        revision = survey.flow_revision
        if revision is None:
            revision = await pin_flow_revision(
                s, survey, await published_revision(s, survey.flow_id) if starting else 0)
        return await self._revision(s, survey.flow_id, revision)

    async def _revision(self, s: AsyncSession, flow_id: str, revision: int) -> Flow:
        if (flow_id, revision) not in self._flows:
            self._flows[flow_id, revision] = await load_revision(s, flow_id, revision, self._schema)
        return self._flows[flow_id, revision]

    async def begin(
        self, survey: Survey, *, channel: str, lang: str = "vi", address: str | None = None
    ) -> Turn:
        """Start the survey's session on a channel (asks the first question)."""
        async with self._db.transaction() as s:
            turn = await self.begin_in(s, survey, channel=channel, lang=lang, address=address)
        self._enqueued(turn, address)
        return turn

    async def reply(
        self, survey: Survey, reply: Reply, *, address: str | None = None,
        expected_version: int | None = None,
    ) -> Turn:
        """Apply a citizen's reply (or an expiry) to the survey's open session.

        With `expected_version` (a web form's), a session that moved on meanwhile is StaleSession.
        """
        async with self._db.transaction() as s:
            turn = await self.reply_in(s, survey, reply, address=address, expected_version=expected_version)
        self._enqueued(turn, address)
        return turn

    async def begin_in(
        self, s: AsyncSession, survey: Survey, *, channel: str, lang: str = "vi", address: str | None = None,
        via: str | None = None,
    ) -> Turn:
        """`begin` inside the caller's transaction (which commits the turn with its own writes).

        `channel` is the evaluation's (the schema's) channel; `via` the channel the messages go
        out on when it differs (a channel the schema does not list yet, see the registry).
        """
        await lock_key(s, f"survey:{survey.id}")
        context = await dossier_names(s, survey.dossier_id)
        flow = await self._flow_in(s, survey, starting=True)
        sprint = start(flow, self._env(), lang=lang, channel=channel, context=context)
        return await self._save(s, survey, sprint.session, sprint.events, None, address, via=via)

    async def reply_in(
        self, s: AsyncSession, survey: Survey, reply: Reply, *, address: str | None = None,
        expected_version: int | None = None, replaces: str | None = None, via: str | None = None,
        loaded: Any = None,
    ) -> Turn:
        """`reply` inside the caller's transaction: load, run and save under the survey's lock.

        `replaces`: the provider's id of the message answered (a pressed question), which the
        first message of this turn replaces in place on channels that can edit. `loaded`: the
        session's row (`read_session`) the caller read in this transaction under the survey's
        lock, not read again.
        """
        # One transaction and one lock: a second turn of this survey waits, then sees this one.
        row = loaded
        if row is None:
            await lock_key(s, f"survey:{survey.id}")
            row = await read_session(s, survey.id)
        if row is None:
            raise NotFound(f"survey {survey.id} has no session")
        if expected_version is not None and row.version != expected_version:
            raise StaleSession(f"session of survey {survey.id} is at version {row.version}")
        flow = await self._flow_in(s, survey, starting=False)
        sprint = resume(flow, _carried(flow, Session.from_json(row.state)), self._env(), reply)
        return await self._save(s, survey, sprint.session, sprint.events, row.version, address, replaces, via=via)

    async def start_in(self, s: AsyncSession, survey: Survey | None, *, channel: str, address: str,
                       records_as: str | None = None) -> str | None:
        """Link a chat (channel, address) to a survey and ask its first question, in the caller's
        transaction; or why not ("unknown", "used", "expired", "ongoing", "elsewhere").

        `records_as`: the schema's channel the evaluation is filed under, when not `channel`.
        """
        now = self._clock()
        problem = start_problem(survey, now)
        if problem is not None or survey is None:
            return problem
        contact = await upsert_contact_address(s, channel=channel, address=address, now=now)
        if survey.status == "active":
            return "ongoing" if survey.contact_id == contact.contact_id else "elsewhere"
        survey = await set_survey_contact(s, survey.id, contact.contact_id)
        await self.begin_in(s, survey, channel=records_as or channel, address=address,
                            via=channel if records_as else None)
        return None

    async def go_on_in(self, s: AsyncSession, survey: Survey, reply: Reply, *, channel: str, address: str,
                       replaces: str | None = None, records_as: str | None = None, loaded: Any = None) -> Turn:
        """`reply_in`, or `begin_in` when the survey was linked or invited but never begun (a chat
        reply to the invitation starts it)."""
        via = channel if records_as else None
        try:
            return await self.reply_in(s, survey, reply, address=address, replaces=replaces, via=via, loaded=loaded)
        except NotFound:
            return await self.begin_in(s, survey, channel=records_as or channel, address=address, via=via)

    def _enqueued(self, turn: Turn, address: str | None) -> None:
        if address is not None and turn.messages:
            self.on_enqueue()

    def _env(self) -> Env:
        return Env(now=self._clock(), new_id=self._new_id)

    async def _save(
        self, s: AsyncSession, survey: Survey, session: Session, events: tuple[Event, ...],
        version: int | None, address: str | None, replaces: str | None = None, *, via: str | None = None,
    ) -> Turn:
        now = self._clock()
        await write_session(
            s, survey_id=survey.id, channel=session.channel, status=str(session.status),
            state=session.to_json(), now=now, expected_version=version,
        )
        if address is not None:
            for payload in _merged([_payload(e) for e in events if isinstance(e, MessageSent)]):
                if replaces is not None:  # the first message takes the answered question's place
                    payload["replaces"], replaces = replaces, None
                await queue(s, channel=via or session.channel, address=address, now=now,
                            payload=payload, survey_id=survey.id)
        await self._close(s, survey, session, now)
        return Turn(session, events)

    async def _close(self, s: AsyncSession, survey: Survey, session: Session, now: datetime) -> None:
        if session.status == SessionStatus.ACTIVE:
            if survey.status != "active":
                await mark_survey(s, survey, "active", now=now, channel=session.channel)
            return
        status = str(session.status)
        await cancel_jobs(s, survey.id, now=now)  # no reminder or expiry after the end
        if session.status == SessionStatus.COMPLETED:
            status = await self._record(s, survey, session, now)
        await mark_survey(s, survey, status, now=now, channel=session.channel)

    async def _record(self, s: AsyncSession, survey: Survey, session: Session, now: datetime) -> str:
        answers = [
            AnswerIn(field=f, value=a.value, level=a.level, text=a.text,
                     items=tuple(a.items) if a.items is not None else None)
            for f, a in session.answers.items()
        ]
        recorded = await record_answers(s, self._schema, survey, answers, channel=session.channel,
                                        flow_id=survey.flow_id, language=session.lang, now=now,
                                        flow_revision=survey.flow_revision)
        return "completed" if recorded else "duplicate"


async def record_answers(
    s: AsyncSession, schema: Schema, survey: Survey, answers: list[AnswerIn], *, channel: str,
    flow_id: str | None, language: str, now: datetime, flow_revision: int | None = None,
) -> bool:
    """Write a survey's evaluation (the dossier's computed points + the answers) and apply the
    alert rule; False when the dossier was evaluated meanwhile on another channel. The evaluation
    records the schema version in force on its completion day in Vietnam (`hailong schema list`)."""
    dossier = await get_dossier(s, survey.dossier_id)
    in_force = await schema_on(s, local_day(now))
    computed = dossier_points(dossier.received_on, dossier.due_on, dossier.returned_on, step_dates(dossier))
    answers = [AnswerIn(field=f, value=points) for f, points in computed.items()] + answers
    try:
        evaluation = await record_evaluation(
            s, dossier_id=dossier.id, agency_id=dossier.agency_id, officer_id=dossier.officer_id,
            survey_id=survey.id, channel=channel, flow_id=flow_id, schema_version=in_force.version,
            language=language, completed_at=now, answers=answers, flow_revision=flow_revision,
        )
    except DuplicateEvaluation:
        return False  # evaluated meanwhile at the kiosk, on the web or in a chat: the first stands
    await follow_up_dissatisfied(s, evaluation_id=evaluation.id, agency_id=dossier.agency_id,
                                 dossier_code=dossier.code, answers=answers, now=now)
    await register_conduct_complaint(s, evaluation_id=evaluation.id, agency_id=dossier.agency_id,
                                     dossier_code=dossier.code, answers=answers, now=now)
    return True


def _payload(message: MessageSent) -> dict[str, Any]:
    """The channel-neutral outbound message, as stored in the outbox."""
    return {
        "step": message.step_id,
        "text": message.text,
        "choices": [{"code": c.code, "label": c.label} for c in message.choices],
        "multi": message.multi,
    }


def _merged(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A turn's messages as the person receives them: a message without choices (an introduction,
    a notice) joins the next one, so that one question is one message (one request, one SMS)."""
    out: list[dict[str, Any]] = []
    for payload in payloads:
        if out and not out[-1]["choices"]:
            payload = {**payload, "text": f"{out.pop()['text']}\n\n{payload['text']}"}
        out.append(payload)
    return out


def _carried(flow: Flow, session: Session) -> Session:
    """A session begun on an earlier version of the same shipped flow (an upgrade of hailong
    changed its texts) goes on with the version in force when its current question still exists;
    otherwise the engine refuses it as before. Saved revisions never change, so only revision 0
    (the shipped file) can differ."""
    if (session.flow_id == flow.id and session.flow_version != flow.version
            and (not session.active or any(step.id == session.step_id for step in flow.steps))):
        return replace(session, flow_version=flow.version)
    return session
