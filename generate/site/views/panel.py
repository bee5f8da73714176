"""The figure panel a neuron page offers for write-ups: its feature visualization, strongest dataset
examples and main tuning curve in one SVG (templates/neuron/_panel.md.j2 draws these coordinates;
atlas.js embeds the pictures and saves it as SVG or PNG), with the unit's name and permalink in small
type; and the unit's BibTeX entry."""

from __future__ import annotations

from generate.site.charts import finite_or, points

WIDTH, HEIGHT, MARGIN = 760, 300, 16
FV_SIZE, EXAMPLE_SIZE, GAP, COLUMNS = 200, 96, 4, 3
CHART = {"x0": 572, "width": 172, "top": 72, "height": 150}
TICKS = (0, 90, 180, 270, 360)


def _examples(hrefs: list[str], x0: float, y0: float) -> list[dict]:
    return [{"href": href, "x": x0 + (i % COLUMNS) * (EXAMPLE_SIZE + GAP), "y": y0 + (i // COLUMNS) * (EXAMPLE_SIZE + GAP),
             "size": EXAMPLE_SIZE} for i, href in enumerate(hrefs[:2 * COLUMNS])]


def _curve(title: str, values: list[float], angles: list[float]) -> dict:
    """A tuning curve over the circle, in σ of drive, with a zero line and ticks every 90°."""
    x0, w, top, h = CHART["x0"], CHART["width"], CHART["top"], CHART["height"]
    base = top + h
    drawn = [finite_or(v, 0.0) for v in values]
    lo = min(drawn + [0.0])
    hi = max(drawn + [lo + 1e-3])
    return {"title": title, "x0": x0, "x1": x0 + w, "top": top, "base": base, "title_y": top - 10,
            "points": points(drawn, angles, x0, w, base, h, lo, hi), "hi": hi, "lo": lo,
            "zero": f"{base - h * (0 - lo) / (hi - lo):.1f}", "label_x": x0 - 4,
            "ticks": [{"x": f"{x0 + w * t / 360:.1f}", "degrees": t} for t in TICKS], "tick_y": base + 13,
            "axis": {"x": x0 + w / 2, "y": base + 28}}


def panel(title: str, subtitle: str, credit: str, visualization: str | None, examples: list[str],
          curve: tuple[str, list[float], list[float]] | None, stimulus: dict | None) -> dict:
    """Where everything of the panel lies. Image links are as raw HTML on the page links them."""
    y0 = 56
    x = MARGIN + (FV_SIZE + 2 * MARGIN if visualization else 0)
    return {"width": WIDTH, "height": HEIGHT, "title": title, "subtitle": subtitle, "credit": credit,
            "margin": MARGIN, "title_y": 26, "subtitle_y": 44, "credit_y": HEIGHT - 12,
            "visualization": {"href": visualization, "x": MARGIN, "y": y0, "size": FV_SIZE} if visualization else None,
            "examples": _examples(examples, x, y0), "curve": _curve(*curve) if curve else None,
            "stimulus": {**stimulus, "x": CHART["x0"] + CHART["width"] - 34, "y": HEIGHT - 46, "size": 34,
                         "label_x": CHART["x0"] + CHART["width"] - 40, "label_y": HEIGHT - 26}
            if stimulus and curve else None}


def bibtex(key: str, title: str, year: str, note: str, url: str) -> str:
    """The unit's BibTeX entry, as the page prints it and as its .bib download holds it."""
    return (f"@misc{{{key},\n  title  = {{{title}}},\n  author = {{Neuron Atlas}},\n  year   = {{{year}}},\n"
            f"  note   = {{{note}}},\n  url    = {{{url}}}\n}}\n")
