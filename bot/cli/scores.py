"""`hailong scores ...` and `hailong complaints ...` (registered by bot/cli/main.py).

Indicator figures an agency enters (self-score) or its controlling office appraises, and the
register of complaints and petitions that indicators 7 and 8 are computed from.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from fractions import Fraction

import click

from bot.cli.main import settings_of
from bot.cli.texts import pair, say
from bot.common.database import open_configured
from bot.office import scores as office
from storage.scores import ComplaintRow
from survey_flows.totals import AgencyTotal, IndicatorLine

ACTOR = "cli"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _num(value: Fraction | None, lang: str) -> str:
    if value is None:
        return "—"
    text = f"{float(round(value, 2)):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "vi" else text


def _day(value: object) -> str:
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else "—"


@click.group()
def scores() -> None:
    """Indicator scores of an agency."""


@scores.command("set")
@click.argument("agency")
@click.argument("period")
@click.argument("indicator", type=int)
@click.argument("points")
@click.option("--by", type=click.Choice(office.BY), required=True)
@click.option("--note", default="")
@click.pass_context
def scores_set(ctx: click.Context, agency: str, period: str, indicator: int, points: str, by: str, note: str) -> None:
    """Record an indicator's self-score or appraisal."""
    settings = settings_of(ctx)

    async def run() -> None:
        async with open_configured(settings) as db:
            await office.set_score(db, agency=agency, period=period, indicator=indicator, points=points, by=by,
                                   note=note, actor=ACTOR, now=_now())

    asyncio.run(run())
    words = pair(f"by.{by}")
    vi, en = (pair("score_set", indicator=indicator, by=words[n], agency=agency, period=period.strip().upper(),
                   points=points)[n] for n in (0, 1))
    click.echo(f"{vi} / {en}")


def _line(line: IndicatorLine, lang: str) -> str:
    basis = pair(f"basis.{line.basis.value}" if line.basis else "basis.missing", n=line.dossiers)[lang == "en"]
    given = [(key, value) for key, value in (("self", line.self_score), ("appraisal", line.appraisal),
                                             ("computed", line.computed)) if value is not None]
    extra = "; ".join(f"{pair(f'by.{k}')[lang == 'en']} {_num(v, lang)}" for k, v in given)
    text = pair("score_line", indicator=line.indicator, points=_num(line.points, lang), maximum=line.maximum,
                basis=basis)[lang == "en"]
    notes = " — " + " | ".join(line.notes) if line.notes else ""
    return text + (f" [{extra}]" if extra else "") + notes


def show_total(total: AgencyTotal) -> str:
    """The lines of a total: Vietnamese, then English."""
    out = []
    for lang in ("vi", "en"):
        out += [_line(line, lang) for line in total.lines] + [total.phrase(lang), ""]
    return "\n".join(out).rstrip()


@scores.command("list")
@click.argument("agency")
@click.argument("period")
@click.pass_context
def scores_list(ctx: click.Context, agency: str, period: str) -> None:
    """Show an agency's total for a period, indicator by indicator."""
    settings = settings_of(ctx)

    async def run() -> AgencyTotal:
        async with open_configured(settings) as db:
            return await office.agency_score(db, settings, agency=agency, period=period, now=_now())

    click.echo(show_total(asyncio.run(run())))


@click.group()
def complaints() -> None:
    """The register of complaints and petitions."""


@complaints.command("add")
@click.argument("agency")
@click.option("--received", required=True)
@click.option("--due", required=True)
@click.option("--dossier", default="")
@click.option("--not-conduct", is_flag=True)
@click.option("--note", default="")
@click.pass_context
def complaints_add(ctx: click.Context, agency: str, received: str, due: str, dossier: str, not_conduct: bool,
                   note: str) -> None:
    """Open a complaint in the register."""
    settings = settings_of(ctx)
    entry = office.ComplaintIn(received, due, dossier, not not_conduct, note)

    async def run() -> ComplaintRow:
        async with open_configured(settings) as db:
            return await office.add_complaint(db, agency=agency, entry=entry, actor=ACTOR, now=_now())

    click.echo(say("complaint_added", code=asyncio.run(run()).code))


def _change(ctx: click.Context, code: str, action: str, on: str, note: str) -> None:
    settings = settings_of(ctx)

    async def run() -> ComplaintRow:
        async with open_configured(settings) as db:
            return await office.change_complaint(db, code, action=action, on=on, note=note, actor=ACTOR, now=_now())

    click.echo(say("complaint_changed", code=asyncio.run(run()).code))


@complaints.command("handle")
@click.argument("code")
@click.option("--on", "on", required=True)
@click.option("--outcome", default="")
@click.pass_context
def complaints_handle(ctx: click.Context, code: str, on: str, outcome: str) -> None:
    """Record the day a complaint was answered."""
    _change(ctx, code, "handled", on, outcome)


@complaints.command("protracted")
@click.argument("code")
@click.option("--on", "on", required=True)
@click.option("--note", default="")
@click.pass_context
def complaints_protracted(ctx: click.Context, code: str, on: str, note: str) -> None:
    """Record a complaint as protracted."""
    _change(ctx, code, "protracted", on, note)


@complaints.command("verify")
@click.argument("code")
@click.option("--result", type=click.Choice(("untrue", "confirmed")), required=True)
@click.option("--on", "on", required=True)
@click.option("--note", default="")
@click.pass_context
def complaints_verify(ctx: click.Context, code: str, result: str, on: str, note: str) -> None:
    """Record what checking the complaint found."""
    _change(ctx, code, result, on, note)


@complaints.command("list")
@click.argument("agency", required=False)
@click.pass_context
def complaints_list(ctx: click.Context, agency: str | None) -> None:
    """List the register."""
    settings = settings_of(ctx)

    async def run() -> list[ComplaintRow]:
        async with open_configured(settings) as db:
            return await office.list_complaints(db, agency=agency)

    rows = asyncio.run(run())
    click.echo(say("complaints_header"))
    for c in rows:
        click.echo("  ".join((c.code, _day(c.received_on), _day(c.due_on), _day(c.handled_on), _day(c.protracted_on),
                              say(f"verification.{c.verification}"), c.dossier_code or "—",
                              say("conduct.yes" if c.about_conduct else "conduct.no"))))
    if not rows:
        click.echo(say("complaints_none"))


COMMANDS = (scores, complaints)
