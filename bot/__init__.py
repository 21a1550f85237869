"""Composition root: settings, the web app, the conversation service and the CLI."""

__all__: list[str] = []
