"""Issue 12: indicators 3, 4, 7, 8 and 9 as Circular 01/2018 Art. 13 says, with hand-computed edges."""

from __future__ import annotations

from datetime import date

import pytest

from survey_flows import (
    Complaint,
    DossierExceptions,
    Schema,
    Verification,
    answer_is_complaint,
    apply_exceptions,
    complaint_from_answer,
    complaint_handling,
    indicator_1,
    indicator_3,
    indicator_4,
    indicator_7,
    indicator_8,
    indicator_9,
)

D = date


# Indicator 3: contacts to complete the dossier; the applicant's own fault does not count.
@pytest.mark.parametrize(("contacts", "own_fault", "points"), [
    (0, 0, 2), (1, 0, 1), (2, 0, 0), (5, 0, 0),
    (2, 1, 1),  # two contacts, one the applicant's fault: counted once
    (3, 2, 1),
    (3, 3, 2),  # every contact the applicant's fault: as if none
    (1, 1, 2),
])
def test_indicator_3(contacts: int, own_fault: int, points: int) -> None:
    assert indicator_3(contacts, own_fault_contacts=own_fault) == points


def test_indicator_3_uses_the_schema_thresholds(schema: Schema) -> None:
    thresholds = schema.indicator(3).thresholds
    assert [indicator_3(n, thresholds=thresholds) for n in range(4)] == [2, 1, 0, 0]


@pytest.mark.parametrize("bad", [{"contacts": -1}, {"contacts": 1, "own_fault_contacts": 2}, {"contacts": True}])
def test_indicator_3_refuses_impossible_counts(bad: dict) -> None:
    with pytest.raises(ValueError):
        indicator_3(bad.pop("contacts"), **bad)


# Indicator 4: bodies contacted; the host body of a field check or appraisal council does not count.
@pytest.mark.parametrize(("desk", "other", "exempt", "points"), [
    (False, 0, 0, 2),
    (True, 0, 0, 1),
    (True, 1, 0, 0),
    (False, 1, 0, 0),  # another body instead of the desk is still "another body"
    (True, 1, 1, 1),  # the only other body hosted the field check: only the desk counts
    (False, 1, 1, 2),
    (True, 2, 1, 0),
])
def test_indicator_4(desk: bool, other: int, exempt: int, points: int) -> None:
    assert indicator_4(desk=desk, other_bodies=other, exempt_bodies=exempt) == points


def test_indicator_4_refuses_more_exempt_than_contacted() -> None:
    with pytest.raises(ValueError):
        indicator_4(desk=True, other_bodies=1, exempt_bodies=2)


def test_exceptions_recorded_on_answered_points() -> None:
    answered = {3: 0, 4: 0, 6: 2}
    assert apply_exceptions(answered, None) == answered
    assert apply_exceptions(answered, DossierExceptions(applicant_fault=True)) == {3: 1, 4: 0, 6: 2}
    assert apply_exceptions(answered, DossierExceptions(appraisal_body=True, note="Hội đồng thẩm định")) == \
        {3: 0, 4: 1, 6: 2}
    # an exception never lowers, and never touches a good answer
    assert apply_exceptions({3: 2, 4: 1}, DossierExceptions(True, True)) == {3: 2, 4: 1}
    record = DossierExceptions(True, False, "khách bổ sung thiếu giấy tờ")
    assert DossierExceptions.from_json(record.to_json()) == record


# Indicator 7: timeliness AND the complaint register.
RECEIVED, DUE = D(2026, 4, 1), D(2026, 4, 10)


def complaint(**kw: object) -> Complaint:
    base: dict = {"id": "PA-1", "received_on": D(2026, 4, 12), "due_on": D(2026, 4, 22), "dossier_code": "X-1"}
    return Complaint(**(base | kw))


@pytest.mark.parametrize(("returned", "complaints", "points"), [
    (D(2026, 4, 9), [], 2),  # early, no complaint
    (D(2026, 4, 10), [], 1),  # on time, no complaint
    (D(2026, 4, 11), [], 0),  # late, no complaint: the 2018 schema's late_without_complaint
    (D(2026, 4, 9), ["pending"], 0),  # early but a complaint
    (D(2026, 4, 9), ["confirmed"], 0),
    (D(2026, 4, 9), ["untrue"], 2),  # verified untrue: does not count
    (D(2026, 4, 10), ["untrue"], 1),
    (D(2026, 4, 9), ["untrue", "pending"], 0),
])
def test_indicator_7(returned: date, complaints: list[str], points: int) -> None:
    timeliness = indicator_1(RECEIVED, DUE, returned)
    entries = [complaint(id=f"PA-{i}", verification=Verification(v), verified_on=D(2026, 4, 20) if v != "pending"
                         else None) for i, v in enumerate(complaints)]
    assert indicator_7(timeliness, entries) == points


def test_indicator_7_is_recomputed_when_a_complaint_is_verified_untrue() -> None:
    # Hand-computed: returned 9 April, due 10 April (early: indicator 1 = 2). The citizen answers
    # "yes, the officer caused trouble" on 12 April: a register entry opens and indicator 7 is 0.
    timeliness = indicator_1(RECEIVED, DUE, D(2026, 4, 9))
    assert answer_is_complaint(0) and not answer_is_complaint(2) and not answer_is_complaint(None)
    opened = complaint_from_answer("PA-7", "X-1", D(2026, 4, 12), D(2026, 4, 22))
    assert indicator_7(timeliness, [opened]) == 0
    # Staff verify it untrue on 18 April: it stops counting and the score is 2 again.
    checked = opened.verified(Verification.UNTRUE, D(2026, 4, 18), "camera: không có việc đòi hỏi thêm")
    assert indicator_7(timeliness, [checked]) == 2
    # As of a day before the verification (a period closed on 15 April) the figure stays 0.
    assert indicator_7(timeliness, [checked], as_of=D(2026, 4, 15)) == 0
    assert indicator_7(timeliness, [checked], as_of=D(2026, 4, 18)) == 2
    # A complaint received after as_of does not count yet.
    assert indicator_7(timeliness, [opened], as_of=D(2026, 4, 11)) == 2
    # A complaint about something else than conduct never touches indicator 7.
    assert indicator_7(timeliness, [complaint(about_conduct=False)]) == 2


def test_indicator_7_late_without_complaint_follows_the_schema_param(schema: Schema) -> None:
    assert dict(schema.indicator(7).params) == {"late_without_complaint": 0}
    assert indicator_7(0, [], late_without_complaint=1) == 1
    with pytest.raises(ValueError):
        indicator_7(3, [])


def test_complaint_register_entry_round_trips_and_refuses_nonsense() -> None:
    entry = complaint(handled_on=D(2026, 4, 20), protracted_on=None, verification=Verification.UNTRUE,
                      verified_on=D(2026, 4, 19), outcome="trả lời bằng văn bản")
    assert Complaint.from_json(entry.to_json()) == entry
    with pytest.raises(ValueError):
        complaint(due_on=D(2026, 4, 1))
    with pytest.raises(ValueError):
        complaint(verification=Verification.UNTRUE)  # untrue needs the day it was found so


# Indicator 8: the register as of the period's end. Quarter II 2026: 1 April – 30 June.
Q_START, Q_END = D(2026, 4, 1), D(2026, 6, 30)


def entry(n: int, received: date, due: date, handled: date | None = None, protracted: date | None = None) -> Complaint:
    return Complaint(id=f"PA-{n}", received_on=received, due_on=due, handled_on=handled, protracted_on=protracted,
                     about_conduct=False)


def on_time(n: int) -> Complaint:
    return entry(n, D(2026, 4, 1), D(2026, 4, 15), D(2026, 4, 10))


def test_indicator_8_none_is_2() -> None:
    assert indicator_8([], Q_START, Q_END) == 2


def test_indicator_8_the_90_percent_rule() -> None:
    late = entry(99, D(2026, 5, 1), D(2026, 5, 10), D(2026, 5, 11))
    # 10 counted, 10 on time: 100 % → 2
    assert indicator_8([on_time(i) for i in range(10)], Q_START, Q_END) == 2
    # 10 counted, 9 on time: exactly 90 % → 1
    assert indicator_8([on_time(i) for i in range(9)] + [late], Q_START, Q_END) == 1
    # 9 counted, 8 on time: 88.9 % → 0
    handling = complaint_handling([on_time(i) for i in range(8)] + [late], Q_START, Q_END)
    assert (handling.on_time, handling.late, handling.points) == (8, 1, 0)
    assert handling.to_json()["on_time_percent"] == 88.9


def test_indicator_8_protracted_is_0_even_when_on_time() -> None:
    tangled = entry(5, D(2026, 4, 2), D(2026, 4, 20), D(2026, 4, 18), protracted=D(2026, 5, 2))
    assert indicator_8([tangled], Q_START, Q_END) == 0
    # flagged protracted only after the quarter ended: not as of 30 June
    later = entry(5, D(2026, 4, 2), D(2026, 4, 20), D(2026, 4, 18), protracted=D(2026, 7, 2))
    assert indicator_8([later], Q_START, Q_END) == 2


def test_indicator_8_is_judged_as_of_the_period_end() -> None:
    overdue_open = entry(1, D(2026, 6, 1), D(2026, 6, 20))  # not handled, due before the end: late
    not_yet_due = entry(2, D(2026, 6, 25), D(2026, 7, 5))  # open, due after the end: pending, not counted
    handled_after_end = entry(3, D(2026, 6, 10), D(2026, 6, 20), D(2026, 7, 3))  # late, as of 30 June still open
    handled_before_quarter = entry(4, D(2026, 3, 1), D(2026, 3, 10), D(2026, 3, 9))  # other period
    received_after = entry(5, D(2026, 7, 2), D(2026, 7, 12))
    carried_in = entry(6, D(2026, 3, 25), D(2026, 4, 5), D(2026, 4, 3))  # open on 1 April, handled on time
    register = [overdue_open, not_yet_due, handled_after_end, handled_before_quarter, received_after, carried_in]
    handling = complaint_handling(register, Q_START, Q_END)
    assert (handling.on_time, handling.late, handling.pending, handling.counted) == (1, 2, 1, 3)
    assert handling.points == 0
    # Entries recorded later (a handling in July, a new complaint) never change the closed quarter.
    assert complaint_handling(register[:4] + register[5:], Q_START, Q_END) == handling


def test_indicator_8_uses_the_schema_params(schema: Schema) -> None:
    params = dict(schema.indicator(8).params)
    assert params == {"on_time_full": 100, "on_time_partial": 90}
    late = entry(99, D(2026, 5, 1), D(2026, 5, 10), D(2026, 5, 11))
    register = [on_time(i) for i in range(4)] + [late]  # 80 %
    assert indicator_8(register, Q_START, Q_END, **params) == 0
    assert indicator_8(register, Q_START, Q_END, on_time_full=100, on_time_partial=80) == 1


# Indicator 9: online services, an agency figure (computable from counts).
@pytest.mark.parametrize(("counts", "points"), [
    ((100, 20, 1000, 300, 0), 2),  # exactly 20 % procedures and 30 % dossiers, none late
    ((100, 19, 1000, 300, 0), 1),  # procedures short: only the dossier share counts
    ((100, 20, 1000, 299, 0), 1),
    ((100, 20, 1000, 150, 0), 1),  # 15 %
    ((100, 20, 1000, 149, 0), 0),
    ((100, 50, 1000, 900, 1), 0),  # one online dossier late
    ((0, 0, 0, 0, 0), 0),
])
def test_indicator_9(counts: tuple[int, int, int, int, int], points: int, schema: Schema) -> None:
    procedures, procedures_online, dossiers, dossiers_online, late = counts
    assert indicator_9(procedures=procedures, procedures_online=procedures_online, dossiers=dossiers,
                       dossiers_online=dossiers_online, online_late=late, **dict(schema.indicator(9).params)) == points


def test_indicator_9_refuses_parts_above_wholes() -> None:
    with pytest.raises(ValueError):
        indicator_9(procedures=10, procedures_online=11, dossiers=1, dossiers_online=0)


def test_indicator_2_is_not_measured_without_unit_steps() -> None:
    from survey_flows import dossier_points
    assert dossier_points(D(2026, 4, 1), D(2026, 4, 10), D(2026, 4, 9)) == {"indicator.1": 2}
    steps = [(D(2026, 4, 5), D(2026, 4, 4)), (D(2026, 4, 9), D(2026, 4, 9))]
    assert dossier_points(D(2026, 4, 1), D(2026, 4, 10), D(2026, 4, 9), steps) == {"indicator.1": 2, "indicator.2": 1}
    assert dossier_points(D(2026, 4, 1), D(2026, 4, 10), D(2026, 4, 9), []) == {"indicator.1": 2}


def test_indicator_8_of_a_closed_quarter_is_the_same_whenever_it_is_computed() -> None:
    # The register as it stood on 30 June, and as it stands on 15 August after more was recorded:
    # the July handling of an overdue complaint, a protracted flag set in July, a new complaint in July.
    on_30_june = [on_time(1), entry(2, D(2026, 6, 1), D(2026, 6, 20)), entry(3, D(2026, 6, 20), D(2026, 6, 30))]
    on_15_august = [on_time(1), entry(2, D(2026, 6, 1), D(2026, 6, 20), D(2026, 7, 10), protracted=D(2026, 7, 1)),
                    entry(3, D(2026, 6, 20), D(2026, 6, 30), D(2026, 7, 1)), entry(4, D(2026, 7, 3), D(2026, 7, 13))]
    first, again = complaint_handling(on_30_june, Q_START, Q_END), complaint_handling(on_15_august, Q_START, Q_END)
    # hand-computed: 1 on time, 1 late (open past 20 June), 1 open and due on 30 June (pending): 50 % → 0
    assert (first.on_time, first.late, first.pending, first.points) == (1, 1, 1, 0)
    assert again == first
