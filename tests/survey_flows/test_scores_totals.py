"""Issue 12: an agency's total over all nine indicators; no band for a partial total."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from survey_flows import AgencyEntry, Basis, EntryBy, Schema, agency_total

# A hand-computed quarter of 20 evaluated dossiers (sum of points, dossiers scored):
# 1: 30/20 = 1.5   2: 20/20 = 1.0   3: 36/20 = 1.8   4: 25/20 = 1.25   6: 38/20 = 1.9   7: 21/20 = 1.05
DOSSIERS = {1: (30, 20), 2: (20, 20), 3: (36, 20), 4: (25, 20), 6: (38, 20), 7: (21, 20)}
ENTRIES = [
    AgencyEntry(5, 2, EntryBy.SELF, "tự chấm: đạt chỉ tiêu"),
    AgencyEntry(5, 1, EntryBy.APPRAISAL, "thẩm định: chưa đạt chỉ tiêu"),
    AgencyEntry(6, 2, EntryBy.APPRAISAL, "niêm yết đủ, có trên cổng"),
    AgencyEntry(8, 2, EntryBy.COMPUTED, "sổ PAKN: 100% đúng hạn"),
    AgencyEntry(9, 1, EntryBy.SELF, "18% hồ sơ trực tuyến"),
]


def test_complete_quarter_by_hand(schema: Schema) -> None:
    result = agency_total(schema, DOSSIERS, ENTRIES)
    # 1.5 + 1.0 + 1.8 + 1.25 + 1 (5: appraisal) + 2 (6: appraisal over the dossiers' 1.9) + 1.05 + 2 + 1 = 12.6
    assert result.total == 12.6
    assert result.complete and result.missing == () and result.present == tuple(range(1, 10))
    assert result.maximum == result.schema_maximum == 18
    assert result.band is not None and result.band.code == "good"
    assert result.phrase("vi") == "12,6/18 điểm — Tốt"
    assert result.phrase("en") == "12.6 of 18 points — Good"
    lines = {line.indicator: line for line in result.lines}
    assert (lines[5].basis, lines[5].points, lines[5].self_score, lines[5].appraisal) == \
        (Basis.APPRAISAL, 1, 2, 1)
    assert (lines[6].basis, lines[6].points, lines[6].dossier_mean) == (Basis.APPRAISAL, 2, Fraction(19, 10))
    assert (lines[4].basis, lines[4].points, lines[4].dossiers) == (Basis.DOSSIERS, Fraction(5, 4), 20)
    assert lines[8].basis is Basis.COMPUTED


def test_self_score_view_ignores_appraisals(schema: Schema) -> None:
    # 12.6 - 1 (5: appraisal) + 2 (5: self) - 2 (6: appraisal) + 1.9 (6: dossiers) = 13.5
    result = agency_total(schema, DOSSIERS, ENTRIES, prefer=EntryBy.SELF)
    assert result.total == 13.5 and result.band is not None and result.band.code == "good"


def test_missing_indicators_withhold_the_band(schema: Schema) -> None:
    # No step dates (2 not measured) and no online figure (9): 12.6 - 1.0 - 1 = 10.6 out of 14.
    dossiers = {k: v for k, v in DOSSIERS.items() if k != 2}
    result = agency_total(schema, dossiers, [e for e in ENTRIES if e.indicator != 9])
    assert (result.total, result.maximum, result.schema_maximum) == (10.6, 14, 18)
    assert not result.complete and result.missing == (2, 9) and len(result.present) == 7
    assert result.band is None  # 10.6 would read "Khá" against the 18-point bands: it is not a score out of 18
    assert result.phrase("vi") == ("Mới có 7/9 chỉ số: 10,6 điểm trên tối đa 14 điểm của các chỉ số này. "
                                   "Chưa xếp loại vì còn thiếu chỉ số 2, 9.")
    assert result.phrase("en") == ("7 of 9 indicators so far: 10.6 points out of the 14 they allow. "
                                   "Not rated until all 9 are in (missing: indicator 2, 9).")


def test_citizen_indicators_alone_are_not_graded(schema: Schema) -> None:
    result = agency_total(schema, {3: (40, 20), 4: (40, 20), 6: (40, 20), 7: (40, 20)})
    assert (result.total, result.maximum, result.band) == (8.0, 8, None)
    assert result.missing == (1, 2, 5, 8, 9)


def test_an_agency_cannot_self_score_over_its_dossiers(schema: Schema) -> None:
    result = agency_total(schema, {1: (10, 20)}, [AgencyEntry(1, 2, EntryBy.SELF)])
    line = result.lines[0]
    assert (line.basis, line.points, line.self_score) == (Basis.DOSSIERS, Fraction(1, 2), 2)
    # the controlling office's appraisal may correct it
    appraised = agency_total(schema, {1: (10, 20)}, [AgencyEntry(1, 1, EntryBy.APPRAISAL)])
    assert appraised.lines[0].points == 1


def test_to_json_is_plain_json(schema: Schema) -> None:
    data = agency_total(schema, DOSSIERS, ENTRIES).to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["total"] == 12.6 and data["complete"] is True and data["band"]["code"] == "good"
    assert data["band"]["name"] == {"vi": "Tốt", "en": "Good"}
    assert data["indicators"][4] == {"indicator": 5, "points": 1.0, "basis": "appraisal", "maximum": 2,
                                     "dossiers": 0, "dossier_mean": None, "self_score": 2.0, "appraisal": 1.0,
                                     "computed": None,
                                     "notes": ["tự chấm: đạt chỉ tiêu", "thẩm định: chưa đạt chỉ tiêu"]}
    partial = agency_total(schema, {1: (20, 20)}).to_json()
    assert partial["band"] is None and partial["complete"] is False and partial["maximum"] == 2
    assert partial["phrase"]["en"].startswith("1 of 9 indicators so far")


def test_rounding_is_half_up_on_the_exact_sum(schema: Schema) -> None:
    # 1/3 + 1/3 + ... : exact thirds summed before rounding, never rounded one by one.
    result = agency_total(schema, {i: (1, 3) for i in (1, 2, 3, 4, 6, 7)},
                          [AgencyEntry(i, Fraction(1, 3), EntryBy.APPRAISAL) for i in (5, 8, 9)])
    assert result.total == 3.0 and result.band is not None and result.band.code == "weak"


@pytest.mark.parametrize(("dossiers", "entries"), [
    ({1: (41, 20)}, []),  # more points than 20 dossiers can give
    ({10: (1, 1)}, []),  # no such indicator
    ({}, [AgencyEntry(5, 3, EntryBy.SELF)]),
    ({}, [AgencyEntry(12, 1, EntryBy.SELF)]),
])
def test_impossible_inputs_are_refused(schema: Schema, dossiers: dict, entries: list) -> None:
    with pytest.raises(ValueError):
        agency_total(schema, dossiers, entries)
