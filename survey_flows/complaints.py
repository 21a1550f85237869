"""The register of complaints and petitions (phản ánh, kiến nghị): one entry, as data.

Read by indicator 7 (a complaint about conduct on a dossier) and indicator 8 (how the agency
handled them). Staff open entries, or the caller opens one from a citizen's answer with
``complaint_from_answer``; ids come from the caller (the core makes none).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any


class Verification(StrEnum):
    """What staff found when they checked the complaint."""

    PENDING = "pending"  # not checked yet: it counts
    CONFIRMED = "confirmed"  # found true: it counts
    UNTRUE = "untrue"  # found untrue (không đúng sự thật): it stops counting for indicator 7


class Origin(StrEnum):
    """Who opened the entry."""

    CITIZEN_ANSWER = "citizen_answer"  # the citizen said so in the evaluation
    STAFF = "staff"  # staff entered it (letter, hotline, portal, …)


@dataclass(frozen=True, slots=True)
class Complaint:
    """One register entry: ``{"id": "PA-12", "received_on": "2026-04-02", "due_on": "2026-04-12", …}``.

    ``due_on`` is the handling deadline, ``handled_on`` when it was answered, ``protracted_on``
    the day staff recorded it as protracted (kéo dài), ``verified_on`` the day the verification
    was recorded. ``about_conduct``: about an officer's harassment or misconduct (indicator 7).
    """

    id: str
    received_on: date
    due_on: date
    handled_on: date | None = None
    protracted_on: date | None = None
    verification: Verification = Verification.PENDING
    verified_on: date | None = None
    dossier_code: str | None = None
    about_conduct: bool = True
    origin: Origin = Origin.STAFF
    outcome: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.due_on < self.received_on:
            raise ValueError(f"complaint {self.id}: due_on is before received_on")
        if self.handled_on is not None and self.handled_on < self.received_on:
            raise ValueError(f"complaint {self.id}: handled_on is before received_on")
        if self.verification is Verification.UNTRUE and self.verified_on is None:
            raise ValueError(f"complaint {self.id}: a complaint found untrue needs verified_on")

    def counts_on(self, as_of: date | None) -> bool:
        """Whether it counts against the officer on ``as_of`` (None: with everything recorded so far)."""
        if as_of is not None and self.received_on > as_of:
            return False
        untrue = self.verification is Verification.UNTRUE and (
            as_of is None or (self.verified_on is not None and self.verified_on <= as_of))
        return not untrue

    def verified(self, verification: Verification, on: date, note: str = "") -> Complaint:
        """This entry with a verification recorded ``on`` a day (the rest unchanged)."""
        return replace(self, verification=verification, verified_on=on, note=note or self.note)

    def to_json(self) -> dict[str, Any]:
        days = {k: (v.isoformat() if v is not None else None) for k, v in (
            ("received_on", self.received_on), ("due_on", self.due_on), ("handled_on", self.handled_on),
            ("protracted_on", self.protracted_on), ("verified_on", self.verified_on))}
        return {"id": self.id, **days, "verification": self.verification.value, "dossier_code": self.dossier_code,
                "about_conduct": self.about_conduct, "origin": self.origin.value, "outcome": self.outcome,
                "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Complaint:
        def day(key: str) -> date | None:
            return date.fromisoformat(data[key]) if data.get(key) else None

        return cls(id=str(data["id"]), received_on=date.fromisoformat(data["received_on"]),
                   due_on=date.fromisoformat(data["due_on"]), handled_on=day("handled_on"),
                   protracted_on=day("protracted_on"), verification=Verification(data.get("verification", "pending")),
                   verified_on=day("verified_on"), dossier_code=data.get("dossier_code"),
                   about_conduct=bool(data.get("about_conduct", True)), origin=Origin(data.get("origin", "staff")),
                   outcome=str(data.get("outcome") or ""), note=str(data.get("note") or ""))


def complaint_from_answer(id_: str, dossier_code: str, answered_on: date, due_on: date) -> Complaint:
    """The register entry a citizen's "yes, the officer caused trouble" answer opens.

    ``due_on`` is the handling deadline the agency applies (the caller's rule, e.g. 10 working days).
    """
    return Complaint(id=id_, received_on=answered_on, due_on=due_on, dossier_code=dossier_code,
                     about_conduct=True, origin=Origin.CITIZEN_ANSWER)
