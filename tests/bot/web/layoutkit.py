"""What a person sees of a page's layout, measured in a real Chromium (Playwright's sync API).

`measure(page)` returns, for the page as rendered now:
- `width`: the viewport's width (CSS px), `body_font`: the body's font size (px);
- `outside`: every element (under body) whose box reaches past the viewport's left or right edge,
  as "TAG#id.class left..right", leaving out the content of boxes that scroll sideways (`overflow-x`
  auto or scroll: they are measured as boxes, in `scrollers`);
- `scrollers`: each such box: its id, its own box's edges, whether its content is wider than it,
  whether a visible hint names it (`[data-scroll-hint=<its id>]`) and whether a keyboard reaches it;
- `texts`: every SVG <text>: its words, the font size it is drawn at (the computed size times the
  scale of its coordinate system: a scaled viewBox shrinks it) and whether its box leaves its <svg>'s.
"""

from __future__ import annotations

from typing import Any

_MEASURE = """() => {
  const W = document.documentElement.clientWidth;
  const name = e => e.tagName + (e.id ? '#' + e.id : '') + (e.getAttribute('class') ? '.' + e.getAttribute('class') : '');
  const all = [...document.querySelectorAll('body *')];
  const scrollers = all.filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX));
  const outside = [];
  for (const e of all) {
    const r = e.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    if (scrollers.some(s => s !== e && s.contains(e))) continue;
    if (r.right > W + 0.5 || r.left < -0.5) outside.push(name(e) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  const visible = e => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const boxes = scrollers.filter(s => s.getClientRects().length > 0).map(s => {
    const r = s.getBoundingClientRect();
    const hint = s.id ? document.querySelector('[data-scroll-hint="' + s.id + '"]') : null;
    return {id: s.id, left: r.left, right: r.right, overflowing: s.scrollWidth > s.clientWidth + 1,
            hinted: visible(hint), focusable: s.tabIndex >= 0};
  });
  const texts = [...document.querySelectorAll('svg text')].filter(t => t.getClientRects().length > 0).map(t => {
    const box = t.getBoundingClientRect(), svg = t.ownerSVGElement.getBoundingClientRect();
    const scale = t.getScreenCTM() ? Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b) : 1;
    return {text: t.textContent, font: parseFloat(getComputedStyle(t).fontSize) * scale,
            clipped: box.left < svg.left - 0.5 || box.right > svg.right + 0.5 ||
                     box.top < svg.top - 0.5 || box.bottom > svg.bottom + 0.5};
  });
  return {width: W, body_font: parseFloat(getComputedStyle(document.body).fontSize), outside: outside,
          scrollers: boxes, texts: texts};
}"""


def measure(page: Any) -> dict[str, Any]:
    """The layout facts above, for the page as it is rendered now."""
    return page.evaluate(_MEASURE)


def assert_readable_charts(seen: dict[str, Any], at_least: int = 2) -> None:
    """At least `at_least` chart texts, each drawn at the body's size or larger and inside its chart."""
    texts = seen["texts"]
    assert len(texts) >= at_least, texts
    small = [(t["text"], round(t["font"], 1)) for t in texts if t["font"] < seen["body_font"] - 0.01]
    assert small == [], f"chart text smaller than the body's {seen['body_font']} px: {small[:5]}"
    clipped = [t["text"] for t in texts if t["clipped"]]
    assert clipped == [], f"chart text cut at its chart's edge: {clipped[:5]}"


def assert_fits(seen: dict[str, Any], *, scroll_boxes: bool) -> None:
    """Nothing reaches past the viewport; with `scroll_boxes`, a box that scrolls sideways may hold
    wider content if the box itself fits, a visible hint says it scrolls and a keyboard can scroll it."""
    assert seen["outside"] == [], f"wider than the {seen['width']} px screen: {seen['outside'][:8]}"
    if not scroll_boxes:
        wide = [b["id"] for b in seen["scrollers"] if b["overflowing"]]
        assert wide == [], f"content scrolls sideways in {wide}"
        return
    for box in seen["scrollers"]:
        assert box["left"] >= -0.5 and box["right"] <= seen["width"] + 0.5, box
        if box["overflowing"]:
            assert box["hinted"] and box["focusable"], f"a box scrolls sideways with no cue: {box}"
