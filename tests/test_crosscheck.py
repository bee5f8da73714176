"""The cross-check against Distill's family lists (generate/analysis/crosscheck.py): the lists as
published, the comparison on a planted store whose answers are known, and the weights check that
decides whether the comparison is shown at all. Nothing here touches the internet."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from generate.analysis import crosscheck
from generate.analysis.families import FAMILIES
from generate.records import (Check, CurveTuning, FamilyLabel, FrequencyTuning, Gate, HueTuning, LayerManifest,
                              ReceptiveField, SyntheticRecord, TuningSummary, UnitVerdicts, Verdict, VerdictRecord)
from generate.site.reader import StoreReader
from generate.store import StageStore

CHANNELS = {"conv2d0": 64, "conv2d1": 64, "conv2d2": 192, "mixed3a": 256, "mixed3b": 480}
CURVES_3B = [379, 406, 385, 343, 342, 388, 324, 340, 330, 349]  # the list, from the Curve Detectors article


# ------------------------------------------------------------------------------ the published lists

def test_the_lists_are_the_articles_own():
    lists = crosscheck.published_lists()
    assert list(lists["curve-detectors"]["mixed3b"]["Curves"]) == CURVES_3B
    assert lists["early-vision"]["mixed3a"]["High-Low Frequency"] == (
        110, 180, 153, 106, 112, 186, 132, 136, 117, 113, 108, 70, 86, 88, 160)
    for layer, groups in lists["early-vision"].items():  # the Early Vision article sorts every unit once
        units = [u for members in groups.values() for u in members]
        assert sorted(units) == list(range(CHANNELS[layer])), layer
    for layer, groups in lists["curve-detectors"].items():
        assert set(groups["Curves"]) <= set(range(CHANNELS[layer]))
    for article in crosscheck.articles().values():
        assert len(article.commit) == 40 and article.url.startswith("https://distill.pub/2020/circuits/")


def test_every_counterpart_is_one_of_our_families_and_names_a_published_family():
    names = {name for layers in crosscheck.published_lists().values() for groups in layers.values() for name in groups}
    assert set(crosscheck.COUNTERPARTS) <= names
    assert set(crosscheck.COUNTERPARTS.values()) <= set(FAMILIES)


def test_a_list_two_articles_publish_alike_is_compared_once_citing_both():
    families = crosscheck.article_families(["mixed3b"])
    curves = [f for f in families if f.label == "curve"]
    assert len(curves) == 1 and [a.key for a in curves[0].articles] == ["curve-detectors", "early-vision"]
    assert list(curves[0].units) == CURVES_3B  # the Curve Detectors article's order
    conv2d2 = [f.name for f in crosscheck.article_families(["conv2d2"]) if f.label == "curve"]
    assert conv2d2 == ["Curves", "Tiny Curves"]  # 11 and 12 units: two different lists


# ------------------------------------------------------------------------------ a planted store

def _tuning() -> TuningSummary:
    return TuningSummary(sigma=1.0, orientations=[], curve=CurveTuning([], [], {}), orientation_tuning={},
                         frequency_tuning=FrequencyTuning([], []), hue=HueTuning([], [], []), colour_edge={},
                         centre_surround={})


def _label(unit: int, label: str, curve_gate: bool = False) -> SyntheticRecord:
    gate = Gate(passed=curve_gate or label == "curve", score=5.0, checks={"peak": Check(5.0, 4.0, ">=", True)})
    family = FamilyLabel(label=label, score=5.0, runner_up="unresponsive", runner_up_score=0.0, runner_up_passed=False,
                         preferred={}, strongest_drive=5.0, gates={"curve": gate})
    return SyntheticRecord(unit=unit, synthetic=_tuning(), drive=[], family=family)


def _verdicts(passed: int) -> UnitVerdicts:
    """The first `passed` of the four arguments pass."""
    keys = ("feature_visualization", "dataset_examples", "synthetic_examples", "joint_tuning")
    return UnitVerdicts(**{key: Verdict(passed=i < passed, score=None, reason="planted") for i, key in enumerate(keys)})


# mixed3b, planted: 6 of the article's 10 curve units labelled curve; 324 labelled line/edge but its
# curve gate passes; 330 not computed; 359 (the article's "Double Curves") and 100 ("Other Units")
# labelled curve though the article does not list them as curves; everything else texture/other.
CURVE_LABELLED = [379, 406, 385, 343, 342, 388, 359, 100]
ALL_FOUR = {379, 406}  # curve units passing all four arguments
NOT_COMPUTED = 330


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A store holding mixed3b's family labels and verdicts, read back as the site reads it."""
    root = tmp_path_factory.mktemp("store")
    synthetic = StageStore(root, "inceptionv1-planted", "mixed3b", "synthetic", {"planted": 1})
    judged = StageStore(root, "inceptionv1-planted", "mixed3b", "verdicts", {"planted": 1})
    units = [u for u in range(480) if u != NOT_COMPUTED]
    for unit in units:
        label = "curve" if unit in CURVE_LABELLED else "line/edge" if unit == 324 else "texture/other"
        synthetic.save(unit, _label(unit, label, curve_gate=unit == 324))
        if label == "curve":
            judged.save(unit, VerdictRecord(unit, _verdicts(4 if unit in ALL_FOUR else 1)))
        else:  # judged as its own family, and as the curve its stimuli prefer
            judged.save(unit, VerdictRecord(unit, _verdicts(4), curve=_verdicts(2 if unit == 324 else 0)))
    layer = LayerManifest(name="mixed3b", channels=480, height=28, width=28, order=10, description="", units=units,
                          rf=ReceptiveField(size=99, stride=8.0, offset_y=0.0, offset_x=0.0, input_size=224),
                          stages={"synthetic": str(synthetic.dir.relative_to(root)),
                                  "verdicts": str(judged.dir.relative_to(root))}, featurevis_seeds={})
    reader = StoreReader(root)
    labels = {unit: record.family for unit, record in reader.units(layer, "synthetic", SyntheticRecord).items()}
    return {"mixed3b": labels}, {"mixed3b": reader.units(layer, "verdicts", VerdictRecord)}


def test_recall_and_the_units_the_article_does_not_list(planted):
    labels, verdicts = planted
    result = crosscheck.cross_check("inceptionv1", True, labels, verdicts)
    assert result.shown and [a.key for a in result.articles] == ["curve-detectors", "early-vision"]
    (curves,) = [f for f in result.families if f.label == "curve"]
    assert (curves.listed, curves.computed, curves.agreed) == (10, 9, 6)
    assert curves.recall == pytest.approx(6 / 9)
    assert curves.gate_agreed == 7  # 324's curve gate passes though line/edge won its label
    assert curves.supported == 2
    assert curves.extra == [100, 359] and curves.ours == 8 and curves.precision == pytest.approx(6 / 8)
    assert curves.missing == [NOT_COMPUTED]
    assert curves.sources[0] == ("distillpub/post--circuits-curve-detectors/pages/data/curves-mixed3b.json "
                                 "@ fa89dbf5")
    rows = {row.unit: row for row in curves.units}
    assert [row.unit for row in curves.units] == CURVES_3B + [100, 359]  # the article's order, then ours
    assert rows[359].article_group == "Double Curves" and not rows[359].in_article
    assert rows[100].article_group == "Other Units"
    assert rows[379].marks == "✓✓✓✓" and rows[343].marks == "✓✗✗✗"
    assert rows[324].label == "line/edge" and rows[324].marks == "✓✓✗✗"  # judged as a curve, not as a line
    assert rows[NOT_COMPUTED].label is None and rows[NOT_COMPUTED].verdicts == {}
    assert rows[349].verdicts == dict.fromkeys(("feature_visualization", "dataset_examples", "synthetic_examples",
                                                "joint_tuning"), False)


def test_other_families_of_the_layer_are_compared_too(planted):
    labels, verdicts = planted
    result = crosscheck.cross_check("inceptionv1", True, labels, verdicts)
    lines = next(f for f in result.families if f.family == "Lines")
    assert lines.agreed == 0 and lines.extra == [324]
    assert lines.units[-1].marks == "✓✓✓✓"  # its own verdicts, under the line/edge hypothesis
    assert {f.layer for f in result.families} == {"mixed3b"}  # only the layers the atlas computed


def test_the_result_is_a_record(planted):
    labels, verdicts = planted
    result = crosscheck.cross_check("inceptionv1", True, labels, verdicts)
    assert crosscheck.CrossCheck.from_json(result.to_json()) == result


@pytest.mark.parametrize("model, verified, why", [
    ("inceptionv1", False, "not the published inception5h.pth"),
    ("inceptionv1", None, "did not record"),
    ("inceptionv1@random:0", False, "not inceptionv1@random:0"),
    ("efficientnet_lite0", None, "not efficientnet_lite0"),
])
def test_nothing_is_compared_unless_the_weights_are_the_published_ones(planted, model, verified, why):
    labels, verdicts = planted
    result = crosscheck.cross_check(model, verified, labels, verdicts)
    assert not result.shown and result.families == [] and why in result.reason


# ------------------------------------------------------------------------------ the weights check

def _blob_id(data: bytes) -> str:
    """git hash-object, computed here independently of generate/sources."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_only_the_published_weights_file_passes(tmp_path, monkeypatch):
    """The real inception5h.pth cannot be here: a saved random state dict plays it, with the
    published blob id replaced by its own. Any other file, a one-byte change included, fails."""
    import torch

    from generate.models import load_model
    from generate.sources import catalog

    control = load_model("inceptionv1@random:3")
    assert control.weights_verified is False
    path = tmp_path / "inception5h.pth"
    torch.save(control.module.state_dict(), path)
    assert load_model("inceptionv1", weights=str(path)).weights_verified is False  # fake weights, real architecture
    source = catalog.SOURCES["inceptionv1"]
    monkeypatch.setitem(catalog.SOURCES, "inceptionv1", replace(source, published_hash=f"gitblob:{_blob_id(path.read_bytes())}"))
    assert load_model("inceptionv1", weights=str(path)).weights_verified is True

    from generate.models.inceptionv1 import is_published

    altered = bytearray(path.read_bytes())
    altered[-1] ^= 1
    (tmp_path / "altered.pth").write_bytes(bytes(altered))
    assert is_published(path) and not is_published(tmp_path / "altered.pth")
