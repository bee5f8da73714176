"""The blind visual audit (generate/audit.py): sheets, instructions and key from a store; raters'
answers scored against the verdicts; bad input as one-line errors."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generate.analysis.statistics import cohen_kappa
from generate.audit import KEY, make_audit, read_ratings, score
from generate.bench.site_records import dataset_record, pictures, synthetic_record
from generate.cli import main
from generate.config import ArcParams, VerdictParams
from generate.errors import AtlasError
from generate.records import LayerManifest, ModelManifest, ReceptiveField
from generate.records.stages import FeatureVisImages, FeatureVisRecord, UnitVerdicts, Verdict, VerdictRecord
from generate.store.stage_store import StageStore

UNITS, CURVES = list(range(6)), [0, 1, 2, 3]
LAYER = "blocks.9.dw"


def _layer(store: Path, key: str, trained: bool, pool: dict) -> LayerManifest:
    """One layer's records: curve labels on CURVES, verdicts (Argument 1 passes on even units,
    Argument 2 on units 0-1, the control on nothing), exemplars and two seeds' visualizations."""
    rng = np.random.default_rng(0)
    stages = {name: StageStore(store, key, LAYER, name, {"test": name}) for name in ("dataset", "synthetic", "verdicts")}
    seeds = {seed: StageStore(store, key, LAYER, "featurevis_neuron", {"seed": seed}) for seed in (0, 1)}
    for unit in UNITS:
        record, files = dataset_record(unit, rng, pool["JPEG"])
        stages["dataset"].save(unit, record, files)
        synthetic = synthetic_record(unit, rng)
        family = replace(synthetic.family, label="curve" if unit in CURVES else "line")
        stages["synthetic"].save(unit, replace(synthetic, family=family))
        if trained:
            verdicts = UnitVerdicts(
                feature_visualization=Verdict(passed=unit % 2 == 0, score=None, reason="", control_passed=False),
                dataset_examples=Verdict(passed=unit < 2, score=None, reason="", control_passed=False))
            stages["verdicts"].save(unit, VerdictRecord(unit=unit, verdicts=verdicts))
        for seed, visuals in seeds.items():
            name = f"{unit}.positive.png"
            visuals.save(unit, FeatureVisRecord(unit=unit, positive=FeatureVisImages([name], 1.0)),
                         {name: pool["PNG"][unit + seed]})
    rf = ReceptiveField(size=99, stride=16.0, offset_y=7.5, offset_x=7.5, input_size=224, effective_size=60)
    return LayerManifest(name=LAYER, channels=len(UNITS), height=14, width=14, order=0, description="", units=UNITS,
                         rf=rf, stages={name: str(s.dir.relative_to(store)) for name, s in stages.items()},
                         featurevis_seeds={str(seed): str(s.dir.relative_to(store)) for seed, s in seeds.items()})


@pytest.fixture
def audited(tmp_path):
    from generate.bench.site_records import generate_store

    store = tmp_path / "store"
    manifest = generate_store(store, 1, progress=False)  # a valid manifest to put our model into
    pool = {"JPEG": pictures(seed=1), "PNG": pictures(seed=1, kind="PNG")}
    control = ModelManifest(name="net@random:0", slug="net-random-0", key="net-random-0-000000000000",
                            weights_hash="1" * 64, random_init=True, preprocess={},
                            layers=[_layer(store, "net-random-0-000000000000", False, pool)])
    manifest.models = [ModelManifest(name="net", slug="net", key="net-000000000000", weights_hash="0" * 64,
                                     random_init=False, preprocess={},
                                     layers=[_layer(store, "net-000000000000", True, pool)], control=control)]
    out = tmp_path / "audit"
    counts = make_audit(manifest, store, out, ArcParams(), VerdictParams())
    return manifest, store, out, counts


def _key(out: Path) -> list[dict]:
    return json.loads((out / KEY).read_text())["items"]


def test_sheets_instructions_and_key(audited):
    _, _, out, counts = audited
    assert counts == {"featurevis": 8, "examples": 8}  # 4 curve units, trained and control
    assert sorted(p.name for p in (out / "featurevis").iterdir()) == ["sheet01.png"]  # 8 per sheet
    assert sorted(p.name for p in (out / "examples").iterdir()) == ["sheet01.png", "sheet02.png"]  # 6 per sheet
    with Image.open(out / "featurevis" / "sheet01.png") as sheet:
        assert sheet.size[0] > 3 * 200 and sheet.size[1] >= 4 * 200
    items = _key(out)
    assert sorted(i["id"] for i in items) == [f"{p}{n:03d}" for p in "ef" for n in range(1, 9)]
    assert {(i["control"], i["unit"]) for i in items if i["kind"] == "examples"} == \
        {(c, u) for c in (False, True) for u in CURVES}
    assert all(len(i["pictures"]) == (2 if i["kind"] == "featurevis" else 9) for i in items)
    text = (out / "RATERS.md").read_text()
    assert "within 22.5°" in text and "0.7-1.4×" in text and "at least 50%" in text and KEY in text


def test_ids_are_shuffled_and_reproducible(audited, tmp_path):
    manifest, store, out, _ = audited
    order = [(i["control"], i["unit"]) for i in sorted(_key(out), key=lambda i: i["id"]) if i["kind"] == "featurevis"]
    assert order != sorted(order)
    again, other = tmp_path / "again", tmp_path / "other"
    (again / "examples").mkdir(parents=True)
    (again / "examples" / "sheet09.png").write_bytes(b"a previous audit's")
    make_audit(manifest, store, again, ArcParams(), VerdictParams())
    assert not (again / "examples" / "sheet09.png").exists()
    make_audit(manifest, store, other, ArcParams(), VerdictParams(), seed=1)
    assert _key(again) == _key(out)
    assert _key(other) != _key(out)


def _write(path: Path, answers: list[dict]) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in answers))
    return path


def test_score_sets_raters_beside_the_verdicts(audited, tmp_path):
    _, _, out, _ = audited
    items = _key(out)
    # the verdict's own answers; a second rater who sees a curve everywhere
    same = [{"id": i["id"], "pictures": ["Y" if i["passed"] else "N"] * 2} if i["kind"] == "featurevis"
            else {"id": i["id"], "count": 9 if i["passed"] else 0} for i in items]
    everywhere = [{"id": i["id"], "pictures": ["Y", "Y"]} if i["kind"] == "featurevis" else {"id": i["id"], "count": 5}
                  for i in items]
    report = score(out, {"same": read_ratings(_write(tmp_path / "same.jsonl", same)),
                         "all": read_ratings(_write(tmp_path / "all.jsonl", everywhere))})
    lines = report.splitlines()
    assert lines[0] == "Argument 1, neuron visualizations: 8 items rated by every rater"
    assert lines[1] == "  trained: 4 units, the verdict passes 2"
    assert lines[2].startswith("    same: says curve 2; both 2, verdict only 0, rater only 0; agreement 1.00, "
                               "Cohen's kappa 1.00")
    assert lines[3].startswith("    all: says curve 4; both 2, verdict only 0, rater only 2; agreement 0.50")
    assert "control: 4 units, the verdict passes 0" in lines[4]
    assert "all: says curve 4; both 0, verdict only 0, rater only 4; agreement 0.00" in lines[6]
    assert any(line.startswith("Argument 2, strongest exemplars") for line in lines)
    assert "same and all (trained): first 2, second 4" in report


def test_score_pairs_every_rater_and_skips_an_argument_nobody_rated_in_full(audited, tmp_path):
    _, _, out, _ = audited
    items = [i for i in _key(out) if i["kind"] == "featurevis"]  # these raters saw one kind only
    raters = {name: read_ratings(_write(tmp_path / f"{name}.jsonl", [
        {"id": i["id"], "pictures": [answer(i)] * 2} for i in items]))
        for name, answer in (("a", lambda i: "Y"), ("b", lambda i: "N"), ("c", lambda i: "Y" if i["passed"] else "N"))}
    report = score(out, raters)
    assert "Argument 2, strongest exemplars: 0 items rated by every rater" == report.splitlines()[-1]
    for pair in ("a and b", "a and c", "b and c"):
        assert f"    {pair} (trained): first" in report


def test_cohen_kappa():
    assert cohen_kappa([True, False, True, False], [True, False, True, False]) == 1.0
    # agreement 0.75 where the yes rates (1/2, 1/4) give 0.5 by chance
    assert cohen_kappa([True, True, False, False], [True, False, False, False]) == pytest.approx(0.5)
    assert cohen_kappa([True, False], [False, True]) == pytest.approx(-1.0)
    assert cohen_kappa([False, False], [False, False]) is None
    with pytest.raises(ValueError):
        cohen_kappa([True], [True, False])


@pytest.mark.parametrize("line, message", [
    ("not json", "rating.jsonl:2: not a rating line"),
    ('{"id": "x999", "count": 1}', "ids not in this audit: x999"),
    ('{"id": "f001", "pictures": ["Y"]}', "rating of f001: 2 answers (Y or N) expected"),
    ('{"id": "e001", "count": 12}', "rating of e001: a count 0-9 expected"),
])
def test_bad_ratings_are_one_line_errors(audited, tmp_path, line, message):
    _, _, out, _ = audited
    path = tmp_path / "rating.jsonl"
    path.write_text('{"id": "f002", "pictures": ["Y", "N"]}\n' + line + "\n")
    with pytest.raises(AtlasError, match=message.replace("(", r"\(").replace(")", r"\)")):
        score(out, {"r": read_ratings(path)})


def test_cli_errors(tmp_path, capsys):
    ratings = _write(tmp_path / "r.jsonl", [{"id": "f001", "pictures": ["Y", "N"]}])
    assert main(["audit", "score", "--out", str(tmp_path / "none"), str(ratings)]) == 2
    assert "no audit in" in capsys.readouterr().err
    assert main(["audit", "score", "--out", str(tmp_path), str(tmp_path / "missing.jsonl")]) == 2
    assert "ratings not found" in capsys.readouterr().err


def test_nothing_to_audit_says_so(tmp_path):
    from generate.bench.site_records import generate_store

    manifest = generate_store(tmp_path / "store", 2, progress=False)  # no control
    with pytest.raises(AtlasError, match="nothing to audit"):
        make_audit(manifest, tmp_path / "store", tmp_path / "audit", ArcParams(), VerdictParams())
