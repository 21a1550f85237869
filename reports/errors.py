"""Errors of reports: a Vietnamese message and an English one, like every user-facing error."""

from __future__ import annotations


class ReportError(Exception):
    """A report cannot be made as asked (bad period, unknown agency, unknown format)."""

    code = "report"

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"
