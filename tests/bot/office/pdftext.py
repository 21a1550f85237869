"""Read back what a one-page PDF written by fpdf2 shows: each text run with its place, size and
width, and each image's box, in millimetres from the page's top left.

A small reader for the slip tests (no PDF library is installed): it inflates the streams, maps the
embedded font's glyph ids back to characters through its ToUnicode map, measures runs with the
font's /W widths, and follows the content stream's Tf, Td, Tj and cm … Do operators.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

MM = 25.4 / 72


@dataclass(frozen=True)
class Run:
    text: str
    left: float
    baseline: float  # from the top of the page
    size: float  # points
    width: float

    @property
    def right(self) -> float:
        return self.left + self.width


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    runs: list[Run]
    images: list[Box]

    def text(self) -> str:
        return "\n".join(r.text for r in self.runs)


def _streams(data: bytes) -> list[bytes]:
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out


def _unicode_map(streams: list[bytes]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for stream in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
            for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                mapping[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
            for lo, hi, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                for n, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    mapping[code] = chr(int(uni, 16) + n)
    return mapping


def _widths(data: bytes) -> tuple[dict[int, float], float]:
    start = data.index(b"/W [") + 4
    depth, end = 1, start
    while depth:
        depth += {ord("["): 1, ord("]"): -1}.get(data[end], 0)
        end += 1
    tokens = re.findall(rb"\[|\]|[-\d.]+", data[start:end - 1])
    widths: dict[int, float] = {}
    i = 0
    while i < len(tokens):
        first = int(tokens[i])
        if tokens[i + 1] == b"[":
            i += 2
            code = first
            while tokens[i] != b"]":
                widths[code] = float(tokens[i])
                code, i = code + 1, i + 1
            i += 1
        else:
            for code in range(first, int(tokens[i + 1]) + 1):
                widths[code] = float(tokens[i + 2])
            i += 3
    default = re.search(rb"/DW (\d+)", data)
    return widths, float(default.group(1)) if default else 1000.0


def _literal(body: bytes) -> bytes:
    out, i = bytearray(), 0
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    while i < len(body):
        c = body[i]
        if c == ord("\\"):
            nxt = body[i + 1]
            if nxt in escapes:
                out += escapes[nxt]
                i += 2
            elif ord("0") <= nxt <= ord("7"):
                digits = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4]).group(0)
                out.append(int(digits, 8))
                i += 1 + len(digits)
            else:
                out.append(nxt)
                i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


_OPS = re.compile(rb"/F\d+\s+([\d.]+)\s+Tf|([-\d.]+)\s+([-\d.]+)\s+Td\s+\(((?:\\.|[^\\)])*)\)\s*Tj"
                  rb"|([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+cm\s+/I\d+\s+Do", re.S)


def read_page(data: bytes) -> Page:
    """The first page of `data` as runs of text and image boxes."""
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[\s*([-\d.\s]+)\]", data).group(1).split()]
    width, height = box[2] - box[0], box[3] - box[1]
    streams = _streams(data)
    chars = _unicode_map(streams)
    widths, default = _widths(data)
    content = next(s for s in streams if b" Tj" in s)
    size, runs, images = 0.0, [], []
    for m in _OPS.finditer(content):
        if m.group(1):
            size = float(m.group(1))
        elif m.group(2):
            raw = _literal(m.group(4))
            codes = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
            text = "".join(chars.get(c, "\ufffd") for c in codes)
            run_w = sum(widths.get(c, default) for c in codes) / 1000 * size
            runs.append(Run(text, float(m.group(2)) * MM, (height - float(m.group(3))) * MM, size, run_w * MM))
        else:
            w, _, _, h, x, y = (float(m.group(n)) for n in range(5, 11))
            images.append(Box(x * MM, (height - y - h) * MM, w * MM, h * MM))
    return Page(width * MM, height * MM, runs, images)
