"""The `hailong` command: every subcommand, with Vietnamese and English messages, no tracebacks."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from bot.cli.texts import TEXTS, pair, say
from bot.common.errors import HailongError
from bot.common.settings import Settings, load_settings
from channels.registry import names


class Command(click.Group):
    """The top group: the product's errors and wrong usage become one `Lỗi / Error` pair and exit 1."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        # Always standalone in our own way: click's usage errors are English only and exit 2.
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            vi, en = usage_error(exc)
            command = exc.ctx.command_path if exc.ctx is not None else "hailong"
            click.echo(f"{error_lines(vi, en)}\n{say('usage.see_help', command=command)}", err=True)
            sys.exit(1)
        except click.exceptions.Abort:
            click.echo(say("aborted"), err=True)
            sys.exit(1)
        except click.ClickException as exc:  # e.g. a file click could not open
            _fail(exc.format_message(), exc.format_message())
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except HailongError as exc:
            _fail(exc.vi, exc.en)
        except Exception as exc:  # noqa: BLE001 - only the known families below, re-raised otherwise
            from bot.web.unavailable import database_unavailable

            cause = database_unavailable(exc)
            if cause is not None:  # locked past the busy timeout, full disk, server down: one line, exit 75
                reason = type(cause).__name__ + (f": {str(cause).splitlines()[0][:120]}" if str(cause).strip() else "")
                click.echo(error_lines(*pair("db_busy", reason=reason)), err=True)
                sys.exit(75)  # EX_TEMPFAIL: nothing was written by the failed transaction
            if not _is_user_error(exc):
                raise
            _fail(getattr(exc, "vi", str(exc)), getattr(exc, "en", str(exc)))
        return None


def usage_error(exc: click.UsageError) -> tuple[str, str]:
    """(vi, en) of a usage error, in our words (click's own messages are English only)."""
    if isinstance(exc, click.NoSuchOption):
        return pair("usage.no_such_option", name=exc.option_name)
    if isinstance(exc, click.MissingParameter):
        param = exc.param
        name = (param.opts[0] if isinstance(param, click.Option) else (param.human_readable_name if param else "?"))
        return pair("usage.missing_option" if isinstance(param, click.Option) else "usage.missing_argument", name=name)
    if isinstance(exc, click.BadParameter):
        param = exc.param
        hint = exc.param_hint
        name = ((hint if isinstance(hint, str) else " / ".join(hint)) if hint else
                param.opts[0] if isinstance(param, click.Option) else param.human_readable_name if param else "?")
        vi, en = _value_problem(exc.message)
        return pair("usage.bad_value", name=name, detail=vi)[0], pair("usage.bad_value", name=name, detail=en)[1]
    if isinstance(exc, click.BadOptionUsage) and "requires an argument" in exc.message:
        return pair("usage.needs_value", name=exc.option_name)
    message = exc.message
    for pattern, key in ((r"No such command '(.+)'", "usage.no_such_command"),
                         (r"Got unexpected extra arguments? \((.+)\)", "usage.extra")):
        found = re.search(pattern, message)
        if found:
            return pair(key, name=found.group(1), detail=found.group(1))
    return pair("usage.other", detail=message)


def _value_problem(message: str) -> tuple[str, str]:
    """click's English message about a value, in Vietnamese and English where we know its shape."""
    for pattern, key in ((r"^(.+?) is not a valid integer", "value.not_int"),
                         (r"^(.+?) is not a valid float", "value.not_number"),
                         (r"^(.+?) is not in the range (.+?)\.?$", "value.not_in_range"),
                         (r"^(.+?) is not one of (.+?)\.?$", "value.not_one_of"),
                         (r"^Path (.+?) does not exist", "value.path_missing")):
        found = re.search(pattern, message)
        if found:
            groups = found.groups()
            return pair(key, value=groups[0], range=groups[-1], choices=groups[-1])
    return message, message


def _is_user_error(exc: Exception) -> bool:
    from bot.office.importer import Unreadable
    from storage import StorageError
    from survey_flows import FlowError

    return isinstance(exc, (Unreadable, StorageError, FlowError))


def error_lines(vi: str, en: str) -> str:
    """`Lỗi: …` then `Error: …`."""
    return f"{pair('error', message=vi)[0]}\n{pair('error', message=en)[1]}"


def _fail(vi: str, en: str) -> None:
    click.echo(error_lines(vi, en), err=True)
    sys.exit(1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@click.group(cls=Command, epilog=say("epilog"), context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """hailong: satisfaction surveys after administrative procedures are settled."""
    ctx.ensure_object(dict)


def settings_of(ctx: click.Context) -> Settings:
    """Settings are read once per command, lazily (so `--help` works with a broken .env)."""
    if "settings" not in ctx.obj:
        ctx.obj["settings"] = load_settings()
    settings: Settings = ctx.obj["settings"]
    return settings


# --- db ---------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the schema (idempotent)."""
    from storage import upgrade

    revision = upgrade(settings_of(ctx).database_url)
    click.echo(say("db_at", revision=revision))


# --- dossiers ---------------------------------------------------------------------------


@main.group()
def dossiers() -> None:
    """Dossiers."""


@dossiers.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def dossiers_import(ctx: click.Context, file: Path) -> None:
    """Import dossiers from a CSV or XLSX file (columns: README.md)."""
    from bot.cli.commands import import_dossiers

    code = asyncio.run(import_dossiers(settings_of(ctx), file, now=_now()))
    sys.exit(code)


# --- survey -----------------------------------------------------------------------------


@main.group()
def survey() -> None:
    """Surveys."""


@survey.command("send")
@click.argument("code")
@click.option("--flow", "flow_id")
@click.option("--qr-dir", type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def survey_send(ctx: click.Context, code: str, flow_id: str | None, qr_dir: Path | None) -> None:
    """Create the survey of a returned dossier."""
    from bot.cli.commands import send

    asyncio.run(send(settings_of(ctx), code, flow_id=flow_id, now=_now(), qr_dir=qr_dir))


@survey.command("slip")
@click.argument("code")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def survey_slip(ctx: click.Context, code: str, output: Path) -> None:
    """Render the printable slip with the survey's QR code."""
    from bot.cli.invitations import slip

    asyncio.run(slip(settings_of(ctx), code, output, now=_now()))


# --- api keys and kiosk desks -----------------------------------------------------------


@main.group("api-key")
def api_key() -> None:
    """Agency keys for the HTTP API v1."""


@api_key.command("create")
@click.argument("agency_code")
@click.option("--label", default="")
@click.option("--free-text", is_flag=True)
@click.pass_context
def api_key_create(ctx: click.Context, agency_code: str, label: str, free_text: bool) -> None:
    """Create an API key (shown once, stored hashed)."""
    from bot.cli.invitations import new_api_key

    asyncio.run(new_api_key(settings_of(ctx), agency_code, label=label, now=_now(), free_text=free_text))


@main.group("webhook")
def webhook() -> None:
    """Outgoing webhooks of an agency."""


@webhook.command("set")
@click.argument("agency_code")
@click.argument("url")
@click.option("--free-text", is_flag=True)
@click.pass_context
def webhook_set(ctx: click.Context, agency_code: str, url: str, free_text: bool) -> None:
    """Set the webhook URL and print its signing secret once."""
    from bot.cli.invitations import new_webhook

    asyncio.run(new_webhook(settings_of(ctx), agency_code, url, now=_now(), free_text=free_text))


@webhook.command("status")
@click.argument("agency_code")
@click.pass_context
def webhook_status_command(ctx: click.Context, agency_code: str) -> None:
    """URL, deliveries by status, the failed ones."""
    from bot.cli.invitations import show_webhook

    asyncio.run(show_webhook(settings_of(ctx), agency_code))


@main.group()
def kiosk() -> None:
    """Counter tablets (kiosk mode)."""


@kiosk.command("desk")
@click.argument("agency_code")
@click.argument("desk_id")
@click.option("--officer")
@click.option("--timeout", type=click.IntRange(10, 3600), default=90, show_default=True)
@click.pass_context
def kiosk_desk(ctx: click.Context, agency_code: str, desk_id: str, officer: str | None, timeout: int) -> None:
    """Create or change a kiosk desk (/kiosk/DESK_ID)."""
    from bot.cli.invitations import add_desk

    asyncio.run(add_desk(settings_of(ctx), agency_code, desk_id, officer=officer, timeout=timeout))


@kiosk.command("enrol")
@click.argument("desk_id")
@click.option("--qr", "qr", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def kiosk_enrol(ctx: click.Context, desk_id: str, qr: Path | None) -> None:
    """A one-time link enrolling a desk's tablet."""
    from bot.cli.invitations import enrol_desk

    asyncio.run(enrol_desk(settings_of(ctx), desk_id, now=_now(), qr=qr))


# --- flows ------------------------------------------------------------------------------


@main.group()
def flows() -> None:
    """Survey flows."""


@flows.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def flows_validate(paths: tuple[Path, ...]) -> None:
    """Validate flow files; exit 2 on problems."""
    from survey_flows import load_schema, validate_files

    problems = validate_files(list(paths), load_schema())
    for problem in problems:
        click.echo(problem.bilingual())  # Vietnamese / English, from the checker's catalog
    if problems:
        click.echo(say("flows_problems", count=len(problems)), err=True)
        sys.exit(2)
    from bot.office.sms_templates import flow_file_warnings

    for warning in flow_file_warnings(paths):  # SMS over one segment costs more: a warning, not an error
        click.echo(f"{say('label.warning')}: {warning}", err=True)
    click.echo(say("flows_valid", count=len(paths)))


@flows.command("list")
def flows_list() -> None:
    """List the shipped flows."""
    from survey_flows import load_flow, load_schema, shipped_flows

    schema = load_schema()
    for flow_id in sorted(shipped_flows()):
        flow = load_flow(flow_id, schema)
        click.echo(f"{flow_id}\t{flow.name.get('vi')} / {flow.name.get('en')}")


# --- simulate ---------------------------------------------------------------------------


@main.command()
@click.argument("flow_id", metavar="FLOW")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--channel", type=click.Choice(["web", "kiosk", *names(lambda spec: spec.chat)]), default="web",
              show_default=True)
@click.option("--context", "pairs", multiple=True, metavar="KEY=VALUE")
@click.option("--json", "as_json", is_flag=True)
def simulate(flow_id: str, lang: str, channel: str, pairs: tuple[str, ...], as_json: bool) -> None:
    """Chat with a flow in the terminal (FLOW: id or file)."""
    from bot.cli.commands import simulate_json, simulate_terminal
    from bot.office.sms_templates import SAMPLE_DOSSIER

    context = SAMPLE_DOSSIER | _pairs(pairs)
    if as_json:
        record = simulate_json(flow_id, lang=lang, channel=channel, lines=sys.stdin, context=context)
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        simulate_terminal(flow_id, lang=lang, channel=channel, context=context)


def _pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise click.BadParameter(f"KEY=VALUE: {bad[0]}", param_hint="--context")
    return dict(p.split("=", 1) for p in pairs)


# --- telegram ---------------------------------------------------------------------------


@main.group()
def telegram() -> None:
    """The Telegram channel."""


@telegram.command("set-webhook")
@click.pass_context
def telegram_set_webhook(ctx: click.Context) -> None:
    """Register the webhook."""
    from bot.cli.commands import telegram_set_webhook as run

    asyncio.run(run(settings_of(ctx)))


@telegram.command("poll")
@click.option("--rounds", type=int)
@click.pass_context
def telegram_poll(ctx: click.Context, rounds: int | None) -> None:
    """Poll getUpdates (development)."""
    from bot.cli.commands import telegram_poll as run

    asyncio.run(run(settings_of(ctx), rounds=rounds))


@main.group()
def sms() -> None:
    """SMS."""


@sms.command("templates")
@click.option("--unicode", is_flag=True)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.pass_context
def sms_templates(ctx: click.Context, unicode: bool, lang: str) -> None:
    """Every SMS template: encoding, segments, cost."""
    from bot.office.sms_templates import format_table, template_rows

    click.echo(format_table(template_rows(settings_of(ctx), unicode=unicode, lang=lang)))


# --- zalo -------------------------------------------------------------------------------


@main.group()
def zalo() -> None:
    """The Zalo channel (OA and ZNS)."""


@zalo.command("invite")
@click.argument("code")
@click.pass_context
def zalo_invite(ctx: click.Context, code: str) -> None:
    """Send the ZNS service-rating invitation."""
    from bot.cli.zalo import zalo_invite as run

    asyncio.run(run(settings_of(ctx), code))


@zalo.command("reconcile")
@click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True)
@click.pass_context
def zalo_reconcile(ctx: click.Context, days: int) -> None:
    """Pull the ZNS ratings the webhook missed."""
    from bot.cli.zalo import zalo_reconcile as run

    counts = asyncio.run(run(settings_of(ctx), days=days))
    click.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "0")


# --- serve and demo ---------------------------------------------------------------------


@main.command()
@click.option("--host")
@click.option("--port", type=int)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int) -> None:
    """Run the web server."""
    from bot.serve import serve_forever

    settings = settings_of(ctx)
    serve_forever(settings, host=host or settings.host, port=port or settings.port, workers=workers)


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("var/demo"), show_default=True)
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--reset", is_flag=True)
@click.option("--no-serve", is_flag=True)
def demo(data_dir: Path, port: int, reset: bool, no_serve: bool) -> None:
    """Run the demo on SQLite with demo data."""
    from bot.cli.commands import run_demo

    run_demo(data_dir, port=port, reset=reset, serve=not no_serve)


# --- reports (bot/cli/reports.py) --------------------------------------------------------

from bot.cli.reports import COMMANDS as _REPORT_COMMANDS  # noqa: E402 - after `main` exists

for _command in _REPORT_COMMANDS:
    main.add_command(_command)

from bot.cli.users import users as _users  # noqa: E402 - after `main` and `settings_of` exist

main.add_command(_users)

from bot.cli.scores import COMMANDS as _SCORE_COMMANDS  # noqa: E402 - after `main` and `settings_of` exist

for _command in _SCORE_COMMANDS:
    main.add_command(_command)
from bot.cli.schema import schema as _schema  # noqa: E402 - after `main` and `settings_of` exist

main.add_command(_schema)



def _with_help(command: click.Command, path: str) -> None:
    """Every command's and option's --help from cli.po (`help.<command path>[.<option>]`), vi / en."""
    command.help = _help(f"help.{path}")
    click_help_option = command.get_help_option

    def help_option(ctx: click.Context) -> click.Option | None:
        option = click_help_option(ctx)
        if option is not None:
            option.help = say("help_option")
        return option

    command.get_help_option = help_option  # type: ignore[method-assign]  # click's text is English only
    for param in command.params:
        if isinstance(param, click.Option) and f"help.{path}.{param.name}" in TEXTS:
            param.help = _help(f"help.{path}.{param.name}")
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            _with_help(sub, name if path == "main" else f"{path}.{name}")


def _help(key: str) -> str:
    vi, en = pair(key)
    return f"{vi}\n\n{en}" if "\n" in vi else f"{vi} / {en}"


_with_help(main, "main")
