"""The claims report: conclusions computed from a small hand-written store, rendered and built."""

from __future__ import annotations

import re

import pytest

from generate.analysis import claims
from tests.test_site_families import _text, make_store, render_and_build
from tests.test_site_rotation import add_rotation_and_verdicts


@pytest.mark.parametrize("units, passed, control, expected", [
    (4, 4, 1, claims.SUPPORTED),
    (4, 2, 0, claims.NOT_SUPPORTED),  # half pass, but fewer than SEPARATION_MIN
    (6, 3, 2, claims.NOT_SUPPORTED),  # the control passes too often
    (6, 2, 0, claims.NOT_SUPPORTED),  # under half
    (2, 2, 0, claims.INCONCLUSIVE),  # too few units carry the label
    (6, 5, None, claims.SUPPORTED),  # no control: judged on the trained model alone
])
def test_conclusion_rule(units, passed, control, expected):
    assert claims.conclude(units, passed, control) == expected


def test_overall_needs_every_argument():
    assert claims.overall([claims.SUPPORTED] * 4) == claims.SUPPORTED
    assert claims.overall([claims.SUPPORTED, claims.NOT_SUPPORTED]) == claims.NOT_SUPPORTED
    assert claims.overall([claims.SUPPORTED, claims.INCONCLUSIVE]) == claims.INCONCLUSIVE


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("claims")
    return render_and_build(root, add_rotation_and_verdicts(root / "store", make_store(root / "store")))


def test_curve_claim_counts_every_argument_against_the_control(site_dir):
    text = _text((site_dir / "claims" / "curves" / "index.html").read_text())
    # mid.conv: curve units 0-3; the control labels its unit 0 a curve
    assert "tiny<b>net</b>: not supported" in text
    for row in ("1. feature visualization 2 of 4 1 of 1 not supported",
                "2. dataset examples 4 of 4 1 of 1 supported",
                "3. synthetic examples 4 of 4 1 of 1 supported",
                "4. joint tuning 3 of 4 0 of 1 supported"):
        assert row in text, (row, text)
    assert "the 4 curve units cover 95% of the circle" in text
    html = (site_dir / "claims" / "curves" / "index.html").read_text()
    # the two families side by side, each tile linking to its neuron page
    assert re.findall(r'href="../../tiny-net/mid.conv/(\d)/"', html)[:4] == ["3", "2", "1", "0"]
    assert 'src="../../tiny-net/mid.conv/img/4.thumb.jpg"' in html  # a high-low frequency unit


def test_low_level_and_universality_claims(site_dir):
    low = _text((site_dir / "claims" / "low-level" / "index.html").read_text())
    assert "tiny<b>net</b>: supported" in low and "Early layers in this atlas: early.conv." in low
    assert "line/edge 3 1 3 of 3 1 of 1 supported" in low, low
    assert "colour contrast 1 0 no orientation – counted only" in low
    universal = _text((site_dir / "claims" / "universality" / "index.html").read_text())
    assert "This atlas has 1 model" in universal and "inconclusive" in universal
    index = _text((site_dir / "claims" / "index.html").read_text())
    assert "Low-level feature visualization supported" in index
    assert "Curve detectors: Arguments 1–4 not supported" in index
