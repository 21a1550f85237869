"""``python -m survey_flows FLOW [--lang vi|en] [--channel web]``: chat with a flow in the terminal."""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import datetime, timezone

from survey_flows.errors import FlowError
from survey_flows.events import Env
from survey_flows.flow_loader import load_flow, shipped_flows
from survey_flows.terminal import COMMANDS, run_terminal


def _env() -> Env:
    # The one place in the package that reads the clock: the edge, not the core.
    return Env(now=datetime.now(timezone.utc), new_id=lambda: uuid.uuid4().hex)


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m survey_flows", description=__doc__)
    parser.add_argument("flow", help=f"a shipped flow ({', '.join(shipped_flows())}) or a YAML file")
    parser.add_argument("--lang", default="vi", help="vi (default) or en")
    parser.add_argument("--channel", default="web", help="paper, kiosk, portal, web, telegram, zalo or sms")
    parser.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                        help="placeholder value, e.g. dossier_code=000.17.22.H56-210531-0001")
    args = parser.parse_args(argv)
    context = dict(item.partition("=")[::2] for item in args.context)
    try:
        flow = load_flow(args.flow)
        print(f"({COMMANDS})")
        run_terminal(flow, lang=args.lang, channel=args.channel, read_line=_read_line,
                     write=print, env_factory=_env, context=context)
    except FlowError as exc:
        print(f"error [{exc.code}]: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
