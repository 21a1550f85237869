"""The report commands of `hailong` (registered by bot/cli/main.py): report, score, alerts, follow-up."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.common.settings import Settings, load_settings
from reports.export import Format


def _settings(ctx: click.Context) -> Settings:
    ctx.ensure_object(dict)
    if "settings" not in ctx.obj:
        ctx.obj["settings"] = load_settings()
    return ctx.obj["settings"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _say(text: str) -> None:
    click.echo(text, err=True)  # progress on stderr: stdout stays clean for pipes


@click.command()
@click.option("--period", required=True, help="2019-05, 2019-Q2, 2019-H1, 2019-9M, 2019")
@click.option("--agency", help="Mã cơ quan / agency code (default: all).")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="xlsx", show_default=True,
              help="xlsx, csv, html; dataset = câu trả lời ẩn danh / anonymous answers (CSV).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def report(ctx: click.Context, period: str, agency: str | None, fmt: str, output: Path) -> None:
    """Xuất báo cáo kết quả của một kỳ / Export a period's results."""
    from bot.office.reporting import export_report

    asyncio.run(export_report(_settings(ctx), period=period, agency=agency, fmt=Format(fmt), output=output,
                              now=_now(), say=_say))


@click.command()
@click.argument("agency")
@click.argument("period")
@click.option("--self", "self_score", type=float, help="Điểm tự chấm / self-score (0–18).")
@click.option("--appraisal", type=float, help="Điểm thẩm định / supervisor's appraisal (0–18).")
@click.pass_context
def score(ctx: click.Context, agency: str, period: str, self_score: float | None, appraisal: float | None) -> None:
    """Ghi điểm tự chấm và điểm thẩm định / Record the self-score and the appraisal."""
    from bot.office.reporting import set_score

    asyncio.run(set_score(_settings(ctx), agency=agency, period=period, self_score=self_score,
                          appraisal=appraisal, now=_now()))
    click.echo("Đã ghi điểm. / Scores recorded.")


@click.command()
@click.argument("agency")
@click.option("--rule", help="Ví dụ / e.g. satisfaction.overall=0,satisfaction.officer_attitude=0")
@click.option("--telegram-chat", help="Nhóm Telegram của lãnh đạo / supervisors' Telegram chat id.")
@click.option("--email", help="Thư điện tử của lãnh đạo / supervisors' e-mail.")
@click.option("--days", type=click.IntRange(1, 90), help="Hạn xử lý (ngày) / follow-up deadline in days.")
@click.pass_context
def alerts(ctx: click.Context, agency: str, rule: str | None, telegram_chat: str | None, email: str | None,
           days: int | None) -> None:
    """Cảnh báo khi người dân chưa hài lòng / Alerts on dissatisfied evaluations."""
    from bot.office.reporting import set_alerts

    rule_ = asyncio.run(set_alerts(_settings(ctx), agency=agency, rule=rule, telegram_chat=telegram_chat,
                                   email=email, days=days))
    conditions = ", ".join(f"{f}={p}" for f, p in rule_.conditions)
    click.echo(f"Quy tắc / rule: {conditions}; hạn / deadline: {rule_.days} ngày / days")


@click.command("follow-up-done")
@click.argument("code")
@click.option("--note", help="Kết quả xử lý / what was done.")
@click.pass_context
def follow_up_done(ctx: click.Context, code: str, note: str | None) -> None:
    """Đánh dấu đã xử lý phản ánh của một hồ sơ / Mark a dossier's follow-up handled."""
    from bot.office.reporting import close_follow_up

    asyncio.run(close_follow_up(_settings(ctx), code=code, note=note, now=_now()))
    click.echo("Đã ghi nhận. / Recorded.")


COMMANDS = (report, score, alerts, follow_up_done)
