"""`python -m bot` is the `hailong` command."""

from bot.cli.main import main

main()
