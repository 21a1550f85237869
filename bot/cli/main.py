"""The `hailong` command: every subcommand, with Vietnamese and English messages, no tracebacks."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.common.errors import HailongError
from bot.common.settings import Settings, load_settings
from channels.registry import names

EPILOG = "Tài liệu / Documentation: README.md"


class Command(click.Group):
    """A click group that turns the product's errors into one clear line and exit code 1."""

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
                click.echo(f"Lỗi: cơ sở dữ liệu đang bận hoặc không truy cập được ({reason}); hãy thử lại sau.\n"
                           f"Error: the database is busy or unreachable ({reason}); try again later.", err=True)
                sys.exit(75)  # EX_TEMPFAIL: nothing was written by the failed transaction
            if not _is_user_error(exc):
                raise
            _fail(getattr(exc, "vi", str(exc)), getattr(exc, "en", str(exc)))


def _is_user_error(exc: Exception) -> bool:
    from bot.office.importer import Unreadable
    from storage import StorageError
    from survey_flows import FlowError

    return isinstance(exc, (Unreadable, StorageError, FlowError))


def _fail(vi: str, en: str) -> None:
    click.echo(f"Lỗi: {vi}\nError: {en}", err=True)
    sys.exit(1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@click.group(cls=Command, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """hailong — khảo sát sự hài lòng sau giải quyết thủ tục hành chính.

    hailong — satisfaction surveys after administrative procedures are settled.
    """
    ctx.ensure_object(dict)


def settings_of(ctx: click.Context) -> Settings:
    """Settings are read once per command, lazily (so `--help` works with a broken .env)."""
    if "settings" not in ctx.obj:
        ctx.obj["settings"] = load_settings()
    return ctx.obj["settings"]


# --- db ---------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Cơ sở dữ liệu / Database."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Tạo hoặc nâng cấp lược đồ (chạy lại an toàn) / Create or upgrade the schema (idempotent)."""
    from storage import upgrade

    revision = upgrade(settings_of(ctx).database_url)
    click.echo(f"Cơ sở dữ liệu ở phiên bản {revision}. / Database at revision {revision}.")


# --- dossiers ---------------------------------------------------------------------------


@main.group()
def dossiers() -> None:
    """Hồ sơ / Dossiers."""


@dossiers.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def dossiers_import(ctx: click.Context, file: Path) -> None:
    """Nhập hồ sơ từ CSV / Import dossiers from a CSV file.

    \b
    Cột bắt buộc / required columns: code, agency_code, status, received_on
    Cột tùy chọn / optional: due_on, returned_on, agency_name, field_code, field_name,
      procedure_code, procedure_name, officer_code, officer_name, phone, applicant_name
    Ngày / dates: YYYY-MM-DD or DD/MM/YYYY. Nhập lại sẽ cập nhật / re-import updates.
    """
    from bot.cli.commands import import_dossiers

    code = asyncio.run(import_dossiers(settings_of(ctx), file, now=_now()))
    sys.exit(code)


# --- survey -----------------------------------------------------------------------------


@main.group()
def survey() -> None:
    """Khảo sát / Surveys."""


@survey.command("send")
@click.argument("code")
@click.option("--flow", "flow_id", help="Kịch bản / flow id (default: HAILONG_DEFAULT_FLOW).")
@click.option("--qr-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Lưu mã QR (SVG và PNG) vào thư mục này / save the QR code (SVG and PNG) here.")
@click.pass_context
def survey_send(ctx: click.Context, code: str, flow_id: str | None, qr_dir: Path | None) -> None:
    """Tạo khảo sát cho một hồ sơ đã trả / Create the survey of a returned dossier."""
    from bot.cli.commands import send

    asyncio.run(send(settings_of(ctx), code, flow_id=flow_id, now=_now(), qr_dir=qr_dir))


@survey.command("slip")
@click.argument("code")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp .pdf hoặc .png / a .pdf or .png file.")
@click.pass_context
def survey_slip(ctx: click.Context, code: str, output: Path) -> None:
    """In phiếu có mã QR để đánh giá / Render the printable slip with the survey's QR code."""
    from bot.cli.invitations import slip

    asyncio.run(slip(settings_of(ctx), code, output, now=_now()))


# --- api keys and kiosk desks -----------------------------------------------------------


@main.group("api-key")
def api_key() -> None:
    """Khóa API v1 của cơ quan / Agency keys for the HTTP API v1."""


@api_key.command("create")
@click.argument("agency_code")
@click.option("--label", default="", help="Ghi chú / a note (which system uses it).")
@click.option("--free-text", is_flag=True,
              help="Được đọc góp ý tự do của người dân qua API / may read citizens' free-text comments through the API.")
@click.pass_context
def api_key_create(ctx: click.Context, agency_code: str, label: str, free_text: bool) -> None:
    """Tạo khóa API (chỉ hiện một lần) / Create an API key (shown once, stored hashed)."""
    from bot.cli.invitations import new_api_key

    asyncio.run(new_api_key(settings_of(ctx), agency_code, label=label, now=_now(), free_text=free_text))


@main.group("webhook")
def webhook() -> None:
    """Webhook gửi kết quả đánh giá cho hệ thống một cửa / Outgoing webhooks of an agency."""


@webhook.command("set")
@click.argument("agency_code")
@click.argument("url")
@click.option("--free-text", is_flag=True, help="Gửi kèm góp ý tự do / include citizens' free-text comments.")
@click.pass_context
def webhook_set(ctx: click.Context, agency_code: str, url: str, free_text: bool) -> None:
    """Đặt địa chỉ webhook, in khóa ký (chỉ một lần) / Set the webhook URL and print its signing secret once."""
    from bot.cli.invitations import new_webhook

    asyncio.run(new_webhook(settings_of(ctx), agency_code, url, now=_now(), free_text=free_text))


@webhook.command("status")
@click.argument("agency_code")
@click.pass_context
def webhook_status_command(ctx: click.Context, agency_code: str) -> None:
    """Địa chỉ, số lần gửi theo trạng thái, các lần thất bại / URL, deliveries by status, the failed ones."""
    from bot.cli.invitations import show_webhook

    asyncio.run(show_webhook(settings_of(ctx), agency_code))


@main.group()
def kiosk() -> None:
    """Máy tính bảng tại quầy / Counter tablets (kiosk mode)."""


@kiosk.command("desk")
@click.argument("agency_code")
@click.argument("desk_id")
@click.option("--officer", help="Mã cán bộ tiếp nhận / receiving officer's code.")
@click.option("--timeout", type=click.IntRange(10, 3600), default=90, show_default=True,
              help="Giây chờ trước khi tự trở về / seconds before the tablet resets.")
@click.pass_context
def kiosk_desk(ctx: click.Context, agency_code: str, desk_id: str, officer: str | None, timeout: int) -> None:
    """Tạo hoặc sửa một quầy / Create or change a kiosk desk (/kiosk/DESK_ID)."""
    from bot.cli.invitations import add_desk

    asyncio.run(add_desk(settings_of(ctx), agency_code, desk_id, officer=officer, timeout=timeout))


@kiosk.command("enrol")
@click.argument("desk_id")
@click.option("--qr", "qr", type=click.Path(dir_okay=False, path_type=Path),
              help="Lưu liên kết thành mã QR (.svg và .png) / save the link as a QR code (.svg and .png).")
@click.pass_context
def kiosk_enrol(ctx: click.Context, desk_id: str, qr: Path | None) -> None:
    """Liên kết đăng ký máy tính bảng cho quầy (dùng một lần) / A one-time link enrolling a desk's tablet."""
    from bot.cli.invitations import enrol_desk

    asyncio.run(enrol_desk(settings_of(ctx), desk_id, now=_now(), qr=qr))


# --- flows ------------------------------------------------------------------------------


@main.group()
def flows() -> None:
    """Kịch bản khảo sát / Survey flows."""


@flows.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def flows_validate(paths: tuple[Path, ...]) -> None:
    """Kiểm tra tệp kịch bản; mã thoát 2 nếu có lỗi / Validate flow files; exit 2 on problems."""
    from survey_flows import load_schema, validate_files

    problems = validate_files(list(paths), load_schema())
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} lỗi / problems.", err=True)
        sys.exit(2)
    from bot.office.sms_templates import flow_file_warnings

    for warning in flow_file_warnings(paths):  # SMS over one segment costs more: a warning, not an error
        click.echo(f"cảnh báo / warning: {warning}", err=True)
    click.echo(f"Hợp lệ / valid: {len(paths)} tệp / files.")


@flows.command("list")
def flows_list() -> None:
    """Liệt kê kịch bản có sẵn / List the shipped flows."""
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
@click.option("--context", "pairs", multiple=True, metavar="KEY=VALUE",
              help="Thay dữ liệu hồ sơ mẫu / override the sample dossier (dossier_code, agency, procedure, officer).")
@click.option("--json", "as_json", is_flag=True, help="Đọc câu trả lời từ stdin, in bản ghi JSON / read replies from stdin, print the record as JSON.")
def simulate(flow_id: str, lang: str, channel: str, pairs: tuple[str, ...], as_json: bool) -> None:
    """Trò chuyện thử với một kịch bản / Chat with a flow in the terminal (FLOW: id or file)."""
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
        raise click.BadParameter(f"cần KEY=VALUE / expected KEY=VALUE: {bad[0]}", param_hint="--context")
    return dict(p.split("=", 1) for p in pairs)


# --- telegram ---------------------------------------------------------------------------


@main.group()
def telegram() -> None:
    """Kênh Telegram / The Telegram channel."""


@telegram.command("set-webhook")
@click.pass_context
def telegram_set_webhook(ctx: click.Context) -> None:
    """Đăng ký webhook <HAILONG_PUBLIC_URL>/webhooks/telegram / Register the webhook."""
    from bot.cli.commands import telegram_set_webhook as run

    asyncio.run(run(settings_of(ctx)))


@telegram.command("poll")
@click.option("--rounds", type=int, help="Dừng sau N lần / stop after N getUpdates calls (tests).")
@click.pass_context
def telegram_poll(ctx: click.Context, rounds: int | None) -> None:
    """Nhận tin bằng getUpdates khi chưa có URL công khai / Poll getUpdates (development)."""
    from bot.cli.commands import telegram_poll as run

    asyncio.run(run(settings_of(ctx), rounds=rounds))


@main.group()
def sms() -> None:
    """Tin nhắn SMS / SMS."""


@sms.command("templates")
@click.option("--unicode", is_flag=True, help="Có dấu (UCS-2) / with diacritics (UCS-2).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.pass_context
def sms_templates(ctx: click.Context, unicode: bool, lang: str) -> None:
    """Mọi mẫu SMS: mã hoá, số tin, chi phí / Every SMS template: encoding, segments, cost."""
    from bot.office.sms_templates import format_table, template_rows

    click.echo(format_table(template_rows(settings_of(ctx), unicode=unicode, lang=lang)))


# --- zalo -------------------------------------------------------------------------------


@main.group()
def zalo() -> None:
    """Kênh Zalo (OA và ZNS) / The Zalo channel (OA and ZNS)."""


@zalo.command("invite")
@click.argument("code")
@click.pass_context
def zalo_invite(ctx: click.Context, code: str) -> None:
    """Gửi tin ZNS mời đánh giá dịch vụ / Send the ZNS service-rating invitation."""
    from bot.cli.zalo import zalo_invite as run

    asyncio.run(run(settings_of(ctx), code))


@zalo.command("reconcile")
@click.option("--days", type=click.IntRange(1, 90), default=7, show_default=True)
@click.pass_context
def zalo_reconcile(ctx: click.Context, days: int) -> None:
    """Lấy các đánh giá ZNS bị lỡ / Pull the ZNS ratings the webhook missed."""
    from bot.cli.zalo import zalo_reconcile as run

    counts = asyncio.run(run(settings_of(ctx), days=days))
    click.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "0")


# --- serve and demo ---------------------------------------------------------------------


@main.command()
@click.option("--host", help="Địa chỉ / address (default: HAILONG_HOST).")
@click.option("--port", type=int, help="Cổng / port (default: HAILONG_PORT).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Số tiến trình dùng chung cổng / processes sharing the port.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int) -> None:
    """Chạy máy chủ web / Run the web server."""
    from bot.serve import serve_forever

    settings = settings_of(ctx)
    serve_forever(settings, host=host or settings.host, port=port or settings.port, workers=workers)


@main.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("var/demo"), show_default=True)
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--reset", is_flag=True, help="Xóa dữ liệu mẫu cũ / start from an empty database.")
@click.option("--no-serve", is_flag=True, help="Chỉ tạo dữ liệu / only seed, do not serve.")
def demo(data_dir: Path, port: int, reset: bool, no_serve: bool) -> None:
    """Chạy bản trình diễn trên SQLite với dữ liệu mẫu / Run the demo on SQLite with demo data."""
    from bot.cli.commands import run_demo

    run_demo(data_dir, port=port, reset=reset, serve=not no_serve)


# --- reports (bot/cli/reports.py) --------------------------------------------------------

from bot.cli.reports import COMMANDS as _REPORT_COMMANDS  # noqa: E402 - after `main` exists

for _command in _REPORT_COMMANDS:
    main.add_command(_command)

from bot.cli.users import users as _users  # noqa: E402 - after `main` and `settings_of` exist

main.add_command(_users)
