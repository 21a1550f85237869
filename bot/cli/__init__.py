"""The `hailong` command: thin Click commands over the office and conversation use cases."""

from bot.cli.main import main

__all__ = ["main"]
