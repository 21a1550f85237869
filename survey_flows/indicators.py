"""Indicators 3, 4, 7, 8 and 9 of Circular 01/2018 Art. 13 as pure functions (issue 12).

Dates in, points out; nothing here reads a clock. Indicators 1 and 2 live in ``scoring``.
The numbers the rules use (90 %, 30 %, …) come from the schema's ``params`` (pass
``indicator.params`` as keyword arguments, e.g. ``indicator_8(reg, start, end,
**dict(schema.indicator(8).params))``); the defaults are those of the 2018 schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from survey_flows.complaints import Complaint, Verification
from survey_flows.schema import Threshold

DEFAULT_CONTACT_THRESHOLDS = (Threshold(0, 0, 2), Threshold(1, 1, 1), Threshold(2, None, 0))


@dataclass(frozen=True, slots=True)
class DossierExceptions:
    """Legal exceptions staff record on one dossier, with a note saying why.

    ``applicant_fault``: every contact beyond the first was caused by the applicant's own fault
    (indicator 3: "more than once" then scores as "once"). ``appraisal_body``: every body other
    than the desk that the applicant contacted was the host of a field check or of an appraisal
    council (indicator 4: "other bodies" then scores as "only the one-stop desk"). Where the
    counts are known, ``indicator_3`` / ``indicator_4`` take them exactly instead.
    """

    applicant_fault: bool = False
    appraisal_body: bool = False
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {"applicant_fault": self.applicant_fault, "appraisal_body": self.appraisal_body, "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> DossierExceptions:
        return cls(bool(data.get("applicant_fault")), bool(data.get("appraisal_body")), str(data.get("note") or ""))


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number ≥ 0, not {value!r}")
    return value


def indicator_3(contacts: int, *, own_fault_contacts: int = 0,
                thresholds: Sequence[Threshold] = DEFAULT_CONTACT_THRESHOLDS) -> int:
    """Times the applicant had to contact the desk to complete the dossier → points.

    Contacts caused by the applicant's own fault are not counted; the rest go through the
    schema's thresholds (2018: 0 → 2, 1 → 1, 2 or more → 0). ``indicator_3(3, own_fault_contacts=2)``
    is 1: one contact was the desk's doing.
    """
    counted = _count("contacts", contacts) - _count("own_fault_contacts", own_fault_contacts)
    if counted < 0:
        raise ValueError("own_fault_contacts cannot exceed contacts")
    points = next((t.points for t in thresholds if t.holds(counted)), None)
    if points is None:
        raise ValueError(f"no threshold gives points for {counted} contacts")
    return points


def indicator_4(*, desk: bool, other_bodies: int, exempt_bodies: int = 0) -> int:
    """Bodies the applicant had to contact to complete the dossier → points.

    No body at all 2; only the one-stop desk 1; any other body (besides or instead of the desk) 0.
    ``exempt_bodies`` of the ``other_bodies`` were the host body of a field check or of an
    appraisal council and are not counted.
    """
    counted = _count("other_bodies", other_bodies) - _count("exempt_bodies", exempt_bodies)
    if counted < 0:
        raise ValueError("exempt_bodies cannot exceed other_bodies")
    return 0 if counted else 1 if desk else 2


def apply_exceptions(points: dict[int, int], exceptions: DossierExceptions | None) -> dict[int, int]:
    """A dossier's citizen-answered points ({3: 0, 4: 0, 6: 2}) with its recorded exceptions applied.

    With ``applicant_fault`` a 0 on indicator 3 becomes 1; with ``appraisal_body`` a 0 on
    indicator 4 becomes 1. Other indicators and other points are returned unchanged.
    """
    out = dict(points)
    if exceptions is None:
        return out
    if exceptions.applicant_fault and out.get(3) == 0:
        out[3] = 1
    if exceptions.appraisal_body and out.get(4) == 0:
        out[4] = 1
    return out


def conduct_complaints(complaints: Iterable[Complaint], as_of: date | None = None) -> tuple[Complaint, ...]:
    """The complaints about conduct that count for indicator 7 as of ``as_of`` (None: all known).

    A complaint counts once received (on or before ``as_of``) and stops counting from the day
    staff record it verified untrue.
    """
    return tuple(c for c in complaints if c.about_conduct and c.counts_on(as_of))


def indicator_7(timeliness: int, complaints: Iterable[Complaint] = (), *, as_of: date | None = None,
                late_without_complaint: int = 0) -> int:
    """Officer attitude for one dossier: 2 early AND no complaint, 1 on time and no complaint, 0 a complaint.

    ``timeliness`` is the dossier's indicator 1 (2 early, 1 on time, 0 late); ``complaints`` are
    the register entries about this dossier (including one opened from the citizen's answer).
    A complaint verified untrue stops counting: call again and the score is recomputed.
    A late dossier without complaint scores ``late_without_complaint`` (schema param; the circular
    does not say, the 2018 schema gives 0). ``as_of`` fixes a closed period's figure.
    """
    if timeliness not in (0, 1, 2):
        raise ValueError(f"timeliness must be indicator 1's points 0, 1 or 2, not {timeliness!r}")
    if conduct_complaints(complaints, as_of):
        return 0
    return {2: 2, 1: 1, 0: int(late_without_complaint)}[timeliness]


def answer_is_complaint(value: int | None) -> bool:
    """Whether the citizen's answer to the conduct question (field ``indicator.7``) reports misconduct.

    The nd61 flow's yes/no step records 0 for "yes, the officer caused trouble" and 2 for "no".
    """
    return value == 0


@dataclass(frozen=True, slots=True)
class Handling:
    """Indicator 8's working, as of the period's last day: what was counted and the points."""

    on_time: int
    late: int
    pending: int  # still open at the end, not yet due: not counted
    protracted: int
    points: int

    @property
    def counted(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> Fraction | None:
        """On-time share of the counted complaints, 0..1 (None when none were counted)."""
        return Fraction(self.on_time, self.counted) if self.counted else None

    def to_json(self) -> dict[str, object]:
        share = self.on_time_share
        return {"on_time": self.on_time, "late": self.late, "pending": self.pending, "protracted": self.protracted,
                "counted": self.counted, "on_time_percent": None if share is None else round(float(share * 100), 1),
                "points": self.points}


def complaint_handling(register: Iterable[Complaint], start: date, end: date, *,
                       on_time_full: float = 100, on_time_partial: float = 90) -> Handling:
    """Indicator 8 from the register of complaints and petitions, judged as of ``end``.

    Counted: every entry received by ``end`` and not already handled before ``start``. Handled
    by ``end`` on or before its due date: on time; handled after it, or still open with its due
    date before ``end``: late; still open and not yet due: pending (not counted). Anything
    recorded after ``end`` (a handling, a protracted flag) is ignored, so a closed period gives
    the same figure whenever it is computed. Points: any protracted 0; none counted or
    ``on_time_full`` % on time 2; at least ``on_time_partial`` % 1; otherwise 0.
    """
    if end < start:
        raise ValueError("the period ends before it starts")
    on_time = late = pending = protracted = 0
    for entry in register:
        handled = entry.handled_on if entry.handled_on is not None and entry.handled_on <= end else None
        if entry.received_on > end or (handled is not None and handled < start):
            continue
        if entry.protracted_on is not None and entry.protracted_on <= end:
            protracted += 1
        if handled is not None:
            on_time, late = (on_time + 1, late) if handled <= entry.due_on else (on_time, late + 1)
        elif entry.due_on < end:
            late += 1
        else:
            pending += 1
    counted = on_time + late
    share = Fraction(100 * on_time, counted) if counted else None
    if protracted:
        points = 0
    elif share is None or share >= Fraction(str(on_time_full)):
        points = 2
    else:
        points = 1 if share >= Fraction(str(on_time_partial)) else 0
    return Handling(on_time, late, pending, protracted, points)


def indicator_8(register: Iterable[Complaint], start: date, end: date, *,
                on_time_full: float = 100, on_time_partial: float = 90) -> int:
    """Indicator 8's points: ``complaint_handling(...).points``."""
    return complaint_handling(register, start, end, on_time_full=on_time_full,
                              on_time_partial=on_time_partial).points


def indicator_9(*, procedures: int, procedures_online: int, dossiers: int, dossiers_online: int,
                online_late: int = 0, procedures_online_min: float = 20, dossiers_online_full: float = 30,
                dossiers_online_partial: float = 15) -> int:
    """Online public services for an agency and period, from its counts (or enter the figure directly).

    2: at least ``procedures_online_min`` % of procedures offered online and ``dossiers_online_full`` %
    of dossiers received online, none of them late; 1: at least ``dossiers_online_partial`` % of
    dossiers online, none late; 0: less, or any online dossier late.
    """
    for name, value in (("procedures", procedures), ("procedures_online", procedures_online),
                        ("dossiers", dossiers), ("dossiers_online", dossiers_online), ("online_late", online_late)):
        _count(name, value)
    if procedures_online > procedures or dossiers_online > dossiers or online_late > dossiers_online:
        raise ValueError("a part cannot exceed its whole (online ≤ all, late ≤ online)")
    if online_late:
        return 0
    proc = Fraction(100 * procedures_online, procedures) if procedures else Fraction(0)
    doss = Fraction(100 * dossiers_online, dossiers) if dossiers else Fraction(0)
    if proc >= Fraction(str(procedures_online_min)) and doss >= Fraction(str(dossiers_online_full)):
        return 2
    return 1 if doss >= Fraction(str(dossiers_online_partial)) else 0


__all__ = [
    "Complaint", "DossierExceptions", "Handling", "Verification", "answer_is_complaint", "apply_exceptions",
    "complaint_handling", "conduct_complaints", "indicator_3", "indicator_4", "indicator_7", "indicator_8",
    "indicator_9",
]
