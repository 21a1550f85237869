"""Fixtures of the page tests: `live_db_url` (see surveykit) is usable beside Playwright's loop."""

from surveykit import live_db_url

__all__ = ["live_db_url"]
