"""Storage errors; callers branch on the stable `code`, never on the message."""

from __future__ import annotations


class StorageError(Exception):
    """A storage failure with a stable machine-readable `code`."""

    code: str = "storage_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class DuplicateSurvey(StorageError):
    """The dossier already has a survey."""

    code = "duplicate_survey"


class DuplicateEvaluation(StorageError):
    """The dossier already has an evaluation (one per dossier, whatever the channel)."""

    code = "duplicate_evaluation"


class StaleSession(StorageError):
    """The session changed since it was loaded (optimistic version check failed)."""

    code = "stale_session"


class NotFound(StorageError):
    """A referenced record does not exist."""

    code = "not_found"
