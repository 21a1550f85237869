"""Dossier codes and statuses shared with the national public-service portal."""

from __future__ import annotations

import re
from datetime import date
from enum import IntEnum

from survey_flows.errors import InvalidDossierCode

# Lenient on purpose: agency ids changed shape with the 2025 merger of provinces and communes.
_CODE = re.compile(
    r"(?P<agency>[A-Z0-9]+(?:\.[A-Z0-9]+)*)"
    r"-(?P<received>\d{6})"
    r"-(?P<sequence>(?:[A-Z0-9]{2})?\d{4,})"
)
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})


class DossierStatus(IntEnum):
    """Status codes of the national portal; only 9 and 10 may be evaluated."""

    REGISTERED = 1
    RECEIVED = 2
    REFUSED = 3
    PROCESSING = 4
    WAITING_FOR_DOCUMENTS = 5
    WAITING_FOR_PAYMENT = 6
    WITHDRAWN = 7
    STOPPED = 8
    PROCESSED = 9
    RETURNED = 10


EVALUABLE = frozenset({DossierStatus.PROCESSED, DossierStatus.RETURNED})


def normalize_code(raw: str) -> str:
    """``" 000.17.22.h56-210531-0001 "`` -> ``"000.17.22.H56-210531-0001"``, or InvalidDossierCode."""
    code = raw.strip().upper().translate(_DASHES) if isinstance(raw, str) else ""
    match = _CODE.fullmatch(code)
    if not match or not _is_real_date(match["received"]):
        raise InvalidDossierCode(str(raw))
    return code


def _is_real_date(yymmdd: str) -> bool:
    try:
        date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return False
    return True


def is_evaluable(status: int) -> bool:
    """Whether a dossier in ``status`` may be evaluated (processed or returned)."""
    return DossierStatus(status) in EVALUABLE
