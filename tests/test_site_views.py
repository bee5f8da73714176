"""The pieces pages are built from: links between pages, the shared separation rule, chart geometry,
and the site's import boundary (no torch, stages or models)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generate.analysis import census
from generate.records import UnitRef
from generate.site import charts, urls


@pytest.mark.parametrize("page, target, anchor, expected", [
    ("m/l/3.md", "families/curve.md", "", "../../families/curve.md"),
    ("m/l/3.md", UnitRef("m", "l", 4).page_source, "", "4.md"),
    ("m/l/3.md", UnitRef("m", "l", 3).thumb_url, "", "img/3.thumb.webp"),
    ("m/l/3.md", "methods.md", "rotation-and-verdicts", "../../methods.md#rotation-and-verdicts"),
    ("families/curve.md", "m/l/index.md", "", "../m/l/index.md"),
    ("index.md", "families/index.md", "", "families/index.md"),
    ("claims/curves.md", "m/l/img/2.thumb.webp", "", "../m/l/img/2.thumb.webp"),
])
def test_markdown_links_are_relative_to_the_source(page, target, anchor, expected):
    assert urls.link(page, target, anchor) == expected


def test_html_links_are_relative_to_the_published_url():
    assert urls.published("families/curve.md") == "families/curve/"
    assert urls.published("families/index.md") == "families/" and urls.published("index.md") == ""
    assert urls.published(UnitRef("m", "l", 3).page_source) == UnitRef("m", "l", 3).page_url
    assert urls.html_link("families/curve.md", "m/l/3.md") == "../../m/l/3/"
    assert urls.html_link("claims/curves.md", urls.family("high-low frequency")) == "../../families/high-low-frequency/"
    assert urls.permalink("https://atlas.example/", "m/l/3.md") == "https://atlas.example/m/l/3/"
    assert urls.permalink("", "m/l/3.md") == "m/l/3/"


def test_one_separation_rule_for_families_verdicts_and_claims():
    assert (census.SEPARATION_RATIO, census.SEPARATION_MIN) == (2, 3)
    assert census.separation(3, 1).separates is True
    assert census.separation(census.SEPARATION_MIN - 1, 0).separates is False  # too few units decide nothing
    assert census.separation(6, 4).separates is False and census.separation(6, 3).separates is True
    assert census.separation(6, None).separates is None and census.separation(6, None).text == "no control"
    row = census.FamilyRow("curve", 6, 3)
    assert (row.separates, row.text) == (True, "separates")


def test_chart_geometry():
    # a curve over the circle is closed: its first value is drawn again at 360°
    assert charts.points([0.0, 1.0], [0.0, 180.0], 0, 360, 100, 100, 0, 1) == "0.0,100.0 180.0,0.0 360.0,100.0"
    # neuron pages' charts are specs atlas.js draws: their numbers, rounded to 4 digits, JSON-safe
    chart = charts.bars(["a", "b"], [2.0, -1.23456], slot=20)
    assert chart == {"kind": "bars", "labels": ["a", "b"], "values": [2.0, -1.235], "slot": 20}
    infinite = charts.bars(["a"], [float("-inf"), float("nan")], names=["grey a"])
    assert infinite["values"] == ["-inf", None] and infinite["names"] == ["grey a"]
    heat = charts.heatmap([0.1, 0.2], [[1.0, 3.0], [3.0, 0.0]], [0.0, 90.0])
    assert (heat["peak"]["radius"], heat["peak"]["orientation"]) == (0.1, 90.0)  # the first of equal maxima
    assert heat["scale"] == 3.0 and heat["spec"]["rows"] == [[1.0, 3.0], [3.0, 0.0]]
    assert charts.sparkline([1.0, 2.0], [0.0]) is None  # no partial curves
    assert charts.axis_line(0.0) == {"x1": 8.0, "y1": 50.0, "x2": 92.0, "y2": 50.0}


def test_site_imports_no_torch_stages_or_models():
    code = ("import sys, generate.site, generate.site.render; "
            "bad = [m for m in sys.modules if m == 'torch' or m.startswith(('generate.stages', 'generate.models'))]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
