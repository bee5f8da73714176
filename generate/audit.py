"""A blind visual audit of the curve verdicts: do raters who see only the pictures agree with them?

`make_audit` writes, for every unit labelled curve and the same unit of its random-init control,
shuffled under anonymous ids, sheets of the unit's neuron visualizations (what Argument 1 measures)
and sheets of its strongest exemplar crops (Argument 2's), each beside a drawing of the predicted
curve, and the raters' instructions with the criterion's numbers. The key (which item is which unit,
trained or control, and its verdict) is written apart, for `score` only. `score` sets the raters'
answers beside the verdicts: agreement and Cohen's kappa per argument and rater, and between raters.
The control is the floor: a rater, or a verdict, that sees curves in a random network's pictures
sees them anywhere.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from generate.analysis import stimuli
from generate.analysis.evidence import own_hypothesis, predicted_radius
from generate.analysis.statistics import cohen_kappa
from generate.config import ArcParams, VerdictParams
from generate.errors import AtlasError
from generate.records import (DatasetRecord, FeatureVisRecord, LayerManifest, Manifest, SyntheticRecord,
                              UnitVerdicts, VerdictRecord)
from generate.site.reader import StoreReader

KEY = ".key.json"  # apart from the sheets: raters must not open it
INSTRUCTIONS = "RATERS.md"
SHEETS = {"featurevis": ("f", 8, 200), "examples": ("e", 6, 118)}  # kind: (id prefix, items per sheet, tile px)
ARGUMENTS = {"featurevis": ("feature_visualization", "Argument 1, neuron visualizations"),
             "examples": ("dataset_examples", "Argument 2, strongest exemplars")}


@dataclass
class Item:
    """One unit's pictures of one kind, as a rater sees them, and what the key keeps of it."""

    id: str
    kind: str  # featurevis | examples
    model: str
    control: bool
    layer: str
    unit: int
    bulge: float  # the predicted curve's bulge direction, degrees (0 = right, counter-clockwise)
    radius: float  # ... and its radius, in the pictures' pixels
    pictures: list[str]  # paths
    passed: bool | None  # the verdict on this argument (for a control unit: its control verdict)


def collect(manifest: Manifest, reader: StoreReader) -> list[Item]:
    """Every unit labelled curve in a model with a control, and the control's same unit, each as a
    featurevis item and an examples item (ids assigned by `shuffle`)."""
    items = []
    for model in manifest.models:
        controls = {layer.name: layer for layer in model.control.layers} if model.control else {}
        for layer in model.layers:
            if layer.name not in controls:
                continue
            verdicts = reader.units(layer, "verdicts", VerdictRecord)
            for unit, record in sorted(reader.units(layer, "synthetic", SyntheticRecord).items()):
                if record.family.label == "curve" and unit in verdicts:
                    items += _unit_items(reader, model.name, layer, controls[layer.name], unit, record,
                                         verdicts[unit].verdicts)
    return items


def _unit_items(reader: StoreReader, model: str, layer: LayerManifest, control: LayerManifest, unit: int,
                record: SyntheticRecord, verdicts: UnitVerdicts) -> list[Item]:
    """One curve unit's items, and its control's, of each kind whose pictures are all stored."""
    hypothesis = own_hypothesis(record.family)
    radius = predicted_radius(hypothesis, layer.rf.field_px)
    items = []
    for is_control, source in ((False, layer), (True, control)):
        for kind, (argument, _) in ARGUMENTS.items():
            verdict = getattr(verdicts, argument)
            passed = None if verdict is None else (verdict.control_passed if is_control else verdict.passed)
            if found := _pictures(reader, source, unit, kind):
                pictures, scale = found
                items.append(Item("", kind, model, is_control, layer.name, unit, hypothesis.expected, radius * scale,
                                  pictures, passed))
    return items


def _pictures(reader: StoreReader, layer: LayerManifest, unit: int, kind: str) -> tuple[list[str], float] | None:
    """The pictures an argument measures (every verdict seed's neuron visualization, or the strongest
    exemplar crops) and their pixels per input pixel; None where any is missing."""
    if kind == "featurevis":
        paths = []
        for _, folder in sorted(layer.featurevis_seeds.items(), key=lambda seed: int(seed[0])):
            record = reader.load(folder, unit, FeatureVisRecord)
            if record is None or record.positive is None:
                return None
            paths.append(str(reader.path(folder, record.positive.files[0])))
        return (paths, 1.0) if paths else None
    folder = layer.stages.get("dataset")
    record = reader.load(folder, unit, DatasetRecord)
    if record is None or not record.exemplars:
        return None
    first = record.exemplars[0]
    with Image.open(reader.path(folder, first.file)) as image:
        scale = image.size[0] / (first.box[2] - first.box[0])
    return [str(reader.path(folder, e.file)) for e in record.exemplars], scale


def shuffle(items: list[Item], seed: int) -> list[Item]:
    """Each kind in its own seeded random order, numbered f001…, e001…: nothing in an id or a
    position tells trained from control or one unit's two kinds apart."""
    rng = np.random.default_rng(seed)
    out = []
    for kind, (prefix, _, _) in SHEETS.items():
        mine = [item for item in items if item.kind == kind]
        for number, index in enumerate(rng.permutation(len(mine)), 1):
            item = mine[index]
            item.id = f"{prefix}{number:03d}"
            out.append(item)
    return out


def make_audit(manifest: Manifest, store: Path, out: Path, arcs: ArcParams, verdicts: VerdictParams,
               seed: int = 0) -> dict[str, int]:
    """Write the sheets, the instructions and the key into `out`; returns the items per kind."""
    items = shuffle(collect(manifest, StoreReader(store)), seed)
    if not items:
        raise AtlasError(f"nothing to audit in {store}: no unit labelled curve with its control's pictures "
                         f"(the audit needs a model with a control, e.g. the claims atlas)")
    counts = {}
    for kind, (_, per_sheet, tile) in SHEETS.items():
        mine = [item for item in items if item.kind == kind]
        (out / kind).mkdir(parents=True, exist_ok=True)
        for stale in (out / kind).glob("sheet*.png"):  # a previous audit's, which these may not overwrite
            stale.unlink()
        for number, start in enumerate(range(0, len(mine), per_sheet), 1):
            _sheet(mine[start:start + per_sheet], tile).save(out / kind / f"sheet{number:02d}.png")
        counts[kind] = len(mine)
    (out / INSTRUCTIONS).write_text(instructions(counts, arcs, verdicts))
    (out / KEY).write_text(json.dumps({"examples_fraction": verdicts.examples_fraction,
                                       "items": [asdict(item) for item in items]}, indent=1))
    return counts


def instructions(counts: dict[str, int], arcs: ArcParams, verdicts: VerdictParams) -> str:
    """What a rater is asked, with the criterion's own numbers."""
    low, high = min(arcs.radius_scales), max(arcs.radius_scales)
    shape = (f"a visible contour (an edge, a stroke, a rim, not texture grain alone) shaped like the reference: "
             f"bending the same way (its bulge within {arcs.tolerance:g}° of the reference's), of about its size "
             f"(radius {low:g}-{high:g}× the reference's), with the contour's middle within about "
             f"{arcs.shift:g}× the reference's radius of the centre (a few pixels for small arcs)")
    return f"""# Blind rating: do the pictures show the predicted curve?

Open only the sheets in `featurevis/` ({counts.get('featurevis', 0)} items) and `examples/`
({counts.get('examples', 0)} items). Do not open `{KEY}` or anything else: the rating is blind.
Each item is a row: a **reference** square (a black arc on grey: the curve to look for, its size and
the way it bends; its middle bulges away from the side its ends point to; a red circle marks the
centre), then the pictures, at the reference's scale. Red ticks mark each picture's centre lines.
Dark grey areas in a photo crop are padding outside the photo, not content.

A picture **shows the curve** when it has, near its centre, {shape}. A straight edge, a sharp corner,
a curve bending the other way or a curve far from the centre does not count. Say no when nothing
like it is plainly visible; do not guess what the answer should be.

Write one JSON line per item to your own file:
- `featurevis/` items (ids f…): one answer per picture, in order: `{{"id": "f001", "pictures": ["Y", "N"]}}`
- `examples/` items (ids e…): how many crops show it: `{{"id": "e001", "count": 3}}`

Then: `python -m generate audit score --out THIS_FOLDER YOUR_FILE.jsonl [OTHER_RATER.jsonl ...]`.
A featurevis item counts as showing the curve when every picture does (as Argument 1 asks of every
seed), an examples item when at least {100 * verdicts.examples_fraction:.0f}% of its crops do (as Argument 2 asks).
"""


def _sheet(items: list[Item], tile: int) -> Image.Image:
    width = max(len(item.pictures) for item in items) + 1
    columns = 2 if width <= 3 else 1
    row_w, row_h = width * (tile + 4) + 20, tile + 18
    sheet = Image.new("RGB", (columns * row_w, math.ceil(len(items) / columns) * row_h), "white")
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default()
    for index, item in enumerate(items):
        x, y = (index % columns) * row_w, (index // columns) * row_h
        draw.text((x, y), f"item {item.id}: reference | {len(item.pictures)} pictures", fill="black", font=font)
        pictures = [_picture(path, tile) for path in item.pictures]
        side = pictures[0][1]
        for column, image in enumerate([_reference(item, tile, tile / side)] + [image for image, _ in pictures]):
            sheet.paste(image, (x + column * (tile + 4), y + 14))
    return sheet


def _reference(item: Item, tile: int, scale: float) -> Image.Image:
    """The predicted curve as the synthetic battery draws it (`stimuli.curve`: a 90° arc whose
    midpoint is the centre), in ink on grey at the pictures' scale, the centre circled."""
    canvas = stimuli.Canvas(tile, (tile / 2, tile / 2))
    pixels = stimuli.curve(canvas, scale * item.radius, item.bulge, 3.0, variant="grey")
    image = Image.fromarray((np.clip(pixels, 0, 1) * 255).round().astype(np.uint8))
    centre = tile / 2
    ImageDraw.Draw(image).ellipse([centre - 3, centre - 3, centre + 3, centre + 3], outline="red", width=2)
    return image


def _picture(path: str, tile: int) -> tuple[Image.Image, int]:
    """A picture enlarged to the tile, its centre lines ticked; and its own side in pixels."""
    with Image.open(path) as source:
        side = source.size[0]
        image = source.convert("RGB").resize((tile, tile), Image.BICUBIC)
    draw, mid = ImageDraw.Draw(image), tile / 2
    for a, b in (((mid - 4, 1), (mid + 4, 1)), ((mid - 4, tile - 2), (mid + 4, tile - 2)),
                 ((1, mid - 4), (1, mid + 4)), ((tile - 2, mid - 4), (tile - 2, mid + 4))):
        draw.line([a, b], fill="red")
    return image, side


# ------------------------------------------------------------------------------ scoring

def read_ratings(path: Path) -> dict[str, dict]:
    """A rater's answers by item id; one line per item (the last answer to an id counts)."""
    answers = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            answer = json.loads(line)
            answers[str(answer["id"])] = answer
        except (ValueError, KeyError, TypeError):
            raise AtlasError(f"{path}:{number}: not a rating line like {{\"id\": \"f001\", \"pictures\": [\"Y\", \"N\"]}}")
    return answers


def says_curve(item: dict, answer: dict, examples_fraction: float) -> bool:
    """Does the rater's answer say the item shows the curve, as its argument's verdict asks?"""
    if item["kind"] == "featurevis":
        marks = answer.get("pictures")
        if not isinstance(marks, list) or len(marks) != len(item["pictures"]):
            raise AtlasError(f"rating of {item['id']}: {len(item['pictures'])} answers (Y or N) expected, got {marks!r}")
        return all(str(mark).upper().startswith("Y") for mark in marks)
    count = answer.get("count")
    if not isinstance(count, int) or not 0 <= count <= len(item["pictures"]):
        raise AtlasError(f"rating of {item['id']}: a count 0-{len(item['pictures'])} expected, got {count!r}")
    return count >= examples_fraction * len(item["pictures"])


def score(out: Path, raters: dict[str, dict[str, dict]]) -> str:
    """The raters beside the verdicts, per argument, trained and control, as a text table."""
    key_path = out / KEY
    if not key_path.is_file():
        raise AtlasError(f"no audit in {out}: run `python -m generate audit make --out {out}` first")
    key = json.loads(key_path.read_text())
    items = {item["id"]: item for item in key["items"]}
    for name, answers in raters.items():
        unknown = sorted(set(answers) - set(items))
        if unknown:
            raise AtlasError(f"{name}: ids not in this audit: {', '.join(unknown[:5])}")
    lines = []
    for kind, (_, title) in ARGUMENTS.items():
        rated = [i for i, item in items.items() if item["kind"] == kind and all(i in a for a in raters.values())]
        lines.append(f"{title}: {len(rated)} items rated by every rater")
        if not rated:
            continue
        says = {name: {i: says_curve(items[i], answers[i], key["examples_fraction"]) for i in rated}
                for name, answers in raters.items()}
        for control in (False, True):
            group = [i for i in rated if items[i]["control"] == control and items[i]["passed"] is not None]
            verdict = [bool(items[i]["passed"]) for i in group]
            lines.append(f"  {'control' if control else 'trained'}: {len(group)} units, the verdict passes {sum(verdict)}")
            for name, said in says.items():
                rater = [said[i] for i in group]
                lines.append("    " + _agreement(name, verdict, rater))
        if len(says) >= 2:
            trained = [i for i in rated if not items[i]["control"]]
            for a, b in combinations(says, 2):
                lines.append("    " + _agreement(f"{a} and {b} (trained)", [says[a][i] for i in trained],
                                                   [says[b][i] for i in trained], pair=True))
    return "\n".join(lines)


def _agreement(name: str, first: list[bool], second: list[bool], pair: bool = False) -> str:
    if not first:
        return f"{name}: no items"
    both = sum(a and b for a, b in zip(first, second))
    only_first, only_second = sum(a and not b for a, b in zip(first, second)), sum(b and not a for a, b in zip(first, second))
    agree = np.mean([a == b for a, b in zip(first, second)])
    kappa = cohen_kappa(first, second)
    counts = (f"first {sum(first)}, second {sum(second)}" if pair else
              f"says curve {sum(second)}; both {both}, verdict only {only_first}, rater only {only_second}")
    return (f"{name}: {counts}; agreement {agree:.2f}, "
            f"Cohen's kappa {'n/a' if kappa is None else f'{kappa:.2f}'}")
