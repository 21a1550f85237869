"""The report commands of `hailong` (registered by bot/cli/main.py): report, score, alerts, follow-up."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.cli.texts import say
from bot.common.settings import Settings, load_settings
from reports.export import Format


def _settings(ctx: click.Context) -> Settings:
    ctx.ensure_object(dict)
    if "settings" not in ctx.obj:
        ctx.obj["settings"] = load_settings()
    settings: Settings = ctx.obj["settings"]
    return settings


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _say(text: str) -> None:
    click.echo(text, err=True)  # progress on stderr: stdout stays clean for pipes


@click.command()
@click.option("--period", required=True)
@click.option("--agency")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="xlsx", show_default=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def report(ctx: click.Context, period: str, agency: str | None, fmt: str, output: Path) -> None:
    """Export a period's results."""
    from bot.office.reporting import export_report

    asyncio.run(export_report(_settings(ctx), period=period, agency=agency, fmt=Format(fmt), output=output,
                              now=_now(), say=_say))


@click.command()
@click.argument("agency")
@click.argument("period")
@click.option("--self", "self_score", type=float)
@click.option("--appraisal", type=float)
@click.pass_context
def score(ctx: click.Context, agency: str, period: str, self_score: float | None, appraisal: float | None) -> None:
    """Record the self-score and the appraisal."""
    from bot.office.reporting import set_score

    asyncio.run(set_score(_settings(ctx), agency=agency, period=period, self_score=self_score,
                          appraisal=appraisal, now=_now()))
    click.echo(say("scores_recorded"))


@click.command()
@click.argument("agency")
@click.option("--rule")
@click.option("--telegram-chat")
@click.option("--email")
@click.option("--days", type=click.IntRange(1, 90))
@click.pass_context
def alerts(ctx: click.Context, agency: str, rule: str | None, telegram_chat: str | None, email: str | None,
           days: int | None) -> None:
    """Alerts on dissatisfied evaluations."""
    from bot.office.reporting import set_alerts

    rule_ = asyncio.run(set_alerts(_settings(ctx), agency=agency, rule=rule, telegram_chat=telegram_chat,
                                   email=email, days=days))
    conditions = ", ".join(f"{f}={p}" for f, p in rule_.conditions)
    click.echo(f"{say('label.rule')}: {conditions}; {say('label.deadline')}: {rule_.days} {say('label.days')}")


@click.command("follow-up-done")
@click.argument("code")
@click.option("--note")
@click.pass_context
def follow_up_done(ctx: click.Context, code: str, note: str | None) -> None:
    """Mark a dossier's follow-up handled."""
    from bot.office.reporting import close_follow_up

    asyncio.run(close_follow_up(_settings(ctx), code=code, note=note, now=_now()))
    click.echo(say("recorded"))


COMMANDS = (report, score, alerts, follow_up_done)
