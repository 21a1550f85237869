"""Rating bands: closed intervals on the 0.1 grid that must cover 0..max exactly once."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from survey_flows.schema import Band


def tenths(value: float) -> int | None:
    """``value`` as an exact count of tenths, or None when it is off the 0.1 grid."""
    try:
        scaled = Decimal(repr(value)) * 10
    except InvalidOperation:
        return None
    return int(scaled) if scaled == scaled.to_integral_value() else None


def band_problems(bands: tuple[Band, ...], max_score: int) -> list[tuple[str, int]]:
    """Why the bands fail to cover ``0..max_score`` exactly once, with the band's index."""
    return [(message, index) for message, _, index in band_findings(bands, max_score)]


def band_findings(bands: tuple[Band, ...], max_score: int) -> list[tuple[str, str, int]]:
    """``band_problems`` with each message in English and Vietnamese."""
    out: list[tuple[str, str, int]] = []
    grid = []
    for index, band in enumerate(bands):
        low, high = tenths(band.low), tenths(band.high)
        if low is None or high is None:
            out.append((f"band {band.code!r}: bounds must be on the 0.1 grid",
                        f"xếp loại {band.code!r}: cận phải có nhiều nhất một chữ số thập phân", index))
        elif low > high:
            out.append((f"band {band.code!r}: 'from' {band.low} is above 'to' {band.high}",
                        f"xếp loại {band.code!r}: 'from' {band.low} lớn hơn 'to' {band.high}", index))
        else:
            grid.append((low, high, index, band.code))
    expect, previous = 0, None
    for low, high, index, code in sorted(grid):
        if low > expect:
            out.append((f"rating bands leave a gap: {expect / 10}..{(low - 1) / 10} is in no band",
                        f"các mức xếp loại bị hở: {expect / 10}..{(low - 1) / 10} không thuộc mức nào", index))
        elif low < expect:
            out.append((f"rating bands overlap: band {code!r} starts at {low / 10}, inside band {previous!r}",
                        f"các mức xếp loại chồng nhau: mức {code!r} bắt đầu từ {low / 10}, nằm trong mức {previous!r}",
                        index))
        expect, previous = max(expect, high + 1), code
    last = max(grid)[2] if grid else 0
    if expect <= max_score * 10:
        out.append((f"rating bands leave a gap: {expect / 10}..{float(max_score)} is in no band",
                    f"các mức xếp loại bị hở: {expect / 10}..{float(max_score)} không thuộc mức nào", last))
    elif expect > max_score * 10 + 1:
        out.append((f"rating bands go beyond the maximum score {max_score}",
                    f"các mức xếp loại vượt quá điểm tối đa {max_score}", last))
    return out
