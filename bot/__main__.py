"""`python -m bot` is the `hailong` command."""

from bot.cli import main

main()
