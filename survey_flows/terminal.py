"""Chat with a flow over any line-based input and output (the terminal, ``hailong simulate``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from survey_flows.engine import Sprint, resume, start
from survey_flows.events import AnswerRecorded, AnswerSkipped, Env, Event, MessageSent, SurveyEnded
from survey_flows.flow import Flow
from survey_flows.replies import ChoiceReply, ExpireReply, Reply, TextReply
from survey_flows.session import Session

COMMANDS = "/press N = press button N, /expire = let the survey expire, /quit = leave"


def run_terminal(flow: Flow, *, lang: str, channel: str, read_line: Callable[[], str | None],
                 write: Callable[[str], None], env_factory: Callable[[], Env],
                 context: Mapping[str, str] | None = None, show_answers: bool = True) -> Session:
    """Run one conversation; ``read_line`` returns None at end of input. Returns the last session."""
    sprint = start(flow, env_factory(), lang=lang, channel=channel, context=context)
    _show(sprint, write, show_answers)
    while sprint.session.active:
        line = read_line()
        if line is None or line.strip() == "/quit":
            break
        reply = _reply(line)
        if reply is None:
            write(f"  ({COMMANDS})")
            continue
        sprint = resume(flow, sprint.session, env_factory(), reply)
        _show(sprint, write, show_answers)
    return sprint.session


def _reply(line: str) -> Reply | None:
    stripped = line.strip()
    if stripped == "/expire":
        return ExpireReply()
    if stripped.startswith("/press"):
        code = stripped.removeprefix("/press").strip()
        return ChoiceReply(code) if code else None
    if stripped.startswith("/"):
        return None
    return TextReply(line)


def _show(sprint: Sprint, write: Callable[[str], None], show_answers: bool) -> None:
    for event in sprint.events:
        text = render_event(event, show_answers)
        if text:
            write(text)


def render_event(event: Event, show_answers: bool = True) -> str:
    """One event as terminal text: messages with numbered choices, answers in brackets."""
    if isinstance(event, MessageSent):
        lines = [event.text, *(f"  {c.code}. {c.label}" for c in event.choices)]
        return "\n".join(lines)
    if not show_answers:
        return ""
    if isinstance(event, AnswerRecorded):
        shown = event.items if event.items is not None else event.text if event.text is not None else event.value
        level = f", level {event.level}" if event.level is not None else ""
        return f"  [{event.field} = {shown!r}{level}]"
    if isinstance(event, AnswerSkipped):
        return f"  [{event.field} skipped: {event.reason}]"
    if isinstance(event, SurveyEnded):
        return f"  [survey {event.status}]"
    return ""
