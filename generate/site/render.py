"""Render stored results into MkDocs Markdown (Jinja2 templates) and build the site.

Reads only the manifest and the stage results it points to. Every generated file is listed
in `<docs>/.generated`; files from an earlier render that are not written again are removed,
so the site never shows stale neurons. Unchanged files are not rewritten.

Besides the per-neuron pages it renders the synthetic-stimulus results: family labels on
neuron and layer pages, one page per family, a survey per model, the stimulus gallery and the
trained-versus-control table on the Methods page. Those pages only count and arrange the
stored labels; no response is computed here. Likewise for the rotation stage and the verdicts:
each neuron page draws its own rotation curves and lists its verdicts, each family page draws its
members' joint tuning per layer, and the Methods page counts the verdicts, trained against control.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from PIL import Image
from tqdm import tqdm

from generate.analysis import claims
from generate.analysis.families import FAMILIES, ORIENTED
from generate.config import REPO_ROOT
from generate.errors import AtlasError

TEMPLATES = REPO_ROOT / "templates"
DEFAULT_DOCS = REPO_ROOT / "site_src"
HAND_WRITTEN = ("about.md", "assets")  # committed in site_src/, copied when rendering elsewhere
GENERATED_LIST = ".generated"
THUMB_PX = 96
# A family criterion "separates" a trained layer from its random-init control when the trained
# layer has at least SEPARATION_RATIO times the control's count and at least SEPARATION_MIN units.
SEPARATION_RATIO = 2
SEPARATION_MIN = 3
# Depth bands of the survey, as a fraction of the model's hookable layers (0 = input side).
EARLY_BELOW, MIDDLE_BELOW = 0.25, 0.7
# Order of the stimulus families on the gallery page; any other family follows.
GREY_LEVELS = (0.0, 0.25, 0.75, 1.0)  # the grey patches of the battery (generate/stimuli.py), in order
# The verdicts the atlas stores (generate/verdicts.py), in the order of the arguments they judge.
ARGUMENTS = (("feature_visualization", 1, "feature visualization", ""), ("dataset_examples", 2, "dataset examples", ""),
             ("synthetic_examples", 3, "synthetic examples", "σ"), ("joint_tuning", 4, "joint tuning", ""))
STIMULUS_ORDER = ("curve", "line", "edge", "angle", "grating", "high_low", "hue", "grey_patch", "colour_edge",
                  "centre_surround", "uniform_disc", "gradient", "blank")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("md", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _format_number
    env.filters["log1p"] = math.log1p
    env.filters["fenced"] = _fenced
    # Front-matter values: Material prints page.meta.title unescaped, so escape HTML here,
    # and JSON-quote so that YAML reads the string back verbatim.
    env.filters["meta"] = _front_matter
    env.filters["family_slug"] = family_slug
    env.filters["short"] = _short_number
    env.filters["deg"] = _degrees
    env.filters["cosd"] = lambda degrees: math.cos(math.radians(degrees))
    env.filters["sind"] = lambda degrees: math.sin(math.radians(degrees))
    env.filters["points"] = _points
    env.globals["ORIENTED"] = ORIENTED
    env.globals["FAMILIES"] = FAMILIES
    env.globals["SEPARATION_RATIO"] = SEPARATION_RATIO
    env.globals["SEPARATION_MIN"] = SEPARATION_MIN
    env.globals["DEPTH_BANDS"] = {"early": EARLY_BELOW, "middle": MIDDLE_BELOW}
    return env


def family_slug(name: str) -> str:
    """URL-safe name of a family label: 'line/edge' -> 'line-edge'."""
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "family"


def _short_number(value: float) -> str:
    """A bar label: few characters, enough digits for its size."""
    size = abs(value)
    return f"{value:.0f}" if size >= 10 else f"{value:.1f}" if size >= 1 else f"{value:.2f}" if size > 0 else "0"


def _degrees(value: Any) -> str:
    if value is None:
        return "n/a"
    value = float(value)
    return f"{value:.0f}°" if value == round(value) else f"{value:.1f}°"


def _fenced(text: str, language: str = "", indent: int = 0) -> Markup:
    """A fenced code block holding `text` verbatim (Markdown escapes code, so no HTML
    escaping here); the fence is longer than any backtick run inside, so it cannot close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    block = f"{fence}{language}\n{text.rstrip()}\n{fence}"
    pad = " " * indent
    return Markup("\n".join(pad + line if line else line for line in block.split("\n")))


def _points(values: list[float], angles: list[float], x0: float, width: float, base: float, height: float,
            lo: float, hi: float) -> str:
    """SVG polyline points of a curve over the circle: angle a at x0 + width * a / 360, value lo at
    `base` and hi at `base - height`; the first value is repeated at 360° to close the circle."""
    span = (hi - lo) or 1.0
    pairs = list(zip(angles, values))
    if pairs and len(pairs) == len(angles):
        pairs.append((pairs[0][0] + 360.0, pairs[0][1]))
    return " ".join(f"{x0 + width * float(a) / 360.0:.1f},{base - height * (_finite_or(v, lo) - lo) / span:.1f}"
                    for a, v in pairs)


def _front_matter(value: Any) -> Markup:
    text = value.unescape() if isinstance(value, Markup) else str(value)
    return Markup(json.dumps(html.escape(text)))


def _format_number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("−∞" if value < 0 else "∞")
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


class _Writer:
    """Writes files under the docs folder, only when their content changed, and records them."""

    def __init__(self, docs: Path):
        self.docs = docs
        self.written: set[str] = set()

    def write(self, relative: str, data: bytes | str) -> None:
        data = data.encode() if isinstance(data, str) else data
        path = self.docs / relative
        self.written.add(relative)
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def copy(self, source: Path, relative: str) -> None:
        self.write(relative, source.read_bytes())

    def remove_stale(self) -> int:
        listing = self.docs / GENERATED_LIST
        previous = set(listing.read_text().split("\n")) if listing.is_file() else set()
        stale = [name for name in previous - self.written if name]
        for name in stale:
            (self.docs / name).unlink(missing_ok=True)
        listing.write_text("\n".join(sorted(self.written)) + "\n")
        return len(stale)


def _thumbnail(png: Path) -> bytes:
    image = Image.open(png).convert("RGB").resize((THUMB_PX, THUMB_PX), Image.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def _load(stage_dir: Path, unit: int) -> dict | None:
    path = stage_dir / f"{unit}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def render(manifest, store_root: Path, docs: Path = DEFAULT_DOCS, progress: bool = True) -> int:
    """Write every page of the atlas into `docs`; returns the number of neuron pages."""
    manifest = manifest.to_json() if hasattr(manifest, "to_json") else manifest
    docs = Path(docs)
    store_root = Path(store_root)
    docs.mkdir(parents=True, exist_ok=True)
    if docs.resolve() != DEFAULT_DOCS.resolve():
        for name in HAND_WRITTEN:
            source = DEFAULT_DOCS / name
            if source.is_dir():
                shutil.copytree(source, docs / name, dirs_exist_ok=True)
            elif source.is_file():
                shutil.copy2(source, docs / name)
    env = environment()
    writer = _Writer(docs)
    census = _census(manifest, store_root)
    members: dict[str, list[dict]] = {name: [] for name in census["families"]}
    neuron_pages = 0
    total = sum(len(layer["units"]) for model in manifest["models"] for layer in model["layers"])
    bar = tqdm(total=total, desc="rendering pages", unit="page", disable=not progress)
    for model, model_census in zip(manifest["models"], census["models"]):
        for layer, layer_census in zip(model["layers"], model_census["layers"]):
            cells = _render_layer(env, writer, manifest, model, layer, store_root, bar, layer_census, census)
            neuron_pages += len(cells)
            for cell in cells:
                if cell["family"]:
                    members.setdefault(cell["family"]["label"], []).append(
                        {**cell, "model": model, "layer": layer["name"],
                         "href": f"../{model['slug']}/{layer['name']}/{cell['unit']}.md",
                         "thumb_href": f"../{model['slug']}/{layer['name']}/{cell['thumb']}" if cell["thumb"] else None})
        writer.write(f"{model['slug']}/index.md", env.get_template("model.md.j2").render(
            atlas=manifest, model=model, census=model_census))
        writer.write(f"{model['slug']}/survey.md", env.get_template("survey.md.j2").render(
            atlas=manifest, model=model, census=model_census, statements=_survey(model_census),
            families=census["families"]))
    bar.close()
    for name in census["families"]:
        units = sorted(members.get(name, []), key=lambda m: -_finite_or(m["family"]["score"], -math.inf))
        writer.write(f"families/{family_slug(name)}.md", env.get_template("family.md.j2").render(
            atlas=manifest, family=name, members=units, census=census, criterion=_criterion(name, manifest),
            joint=_joint_tuning(name, census), rotation_computed=_rotation_computed(census)))
    writer.write("families/index.md", env.get_template("families.md.j2").render(
        atlas=manifest, census=census, criteria={n: _criterion(n, manifest) for n in census["families"]}))
    writer.write("stimuli.md", env.get_template("stimuli.md.j2").render(
        atlas=manifest, strips=_gallery(manifest, store_root, writer)))
    writer.write("index.md", env.get_template("home.md.j2").render(atlas=manifest))
    writer.write("methods.md", env.get_template("methods.md.j2").render(
        atlas=manifest, census=census, claims_rule=claims.rule_text(), survives=claims.SURVIVES, criteria={n: _criterion(n, manifest) for n in census["families"]},
        verdict_criteria=_verdict_criteria(census, manifest), rotation_computed=_rotation_computed(census),
        has_verdicts=any(layer["verdict_rows"] for entry in census["models"] for layer in entry["layers"]),
        verdict_control=any(row["control"] is not None for entry in census["models"]
                            for layer in entry["layers"] for row in layer["verdict_rows"])))
    writer.write("models.md", env.get_template("models.md.j2").render(atlas=manifest))
    matches = [json.loads(path.read_text()) for folder in manifest.get("matching") or []
               if (path := store_root / folder / "pairs.json").is_file()]
    variations = [(v, _census({"models": [v["model"]]}, store_root)["models"][0]) for v in manifest.get("variations") or []]
    report = claims.report(census, matches, variations)
    for page, template in (("index", "claims_index"), ("curves", "claims_curves"), ("low-level", "claims_low_level"),
                           ("universality", "claims_universality"), ("sensitivity", "claims_sensitivity")):
        writer.write(f"claims/{page}.md", env.get_template(f"{template}.md.j2").render(atlas=manifest, report=report))
    stale = writer.remove_stale()
    if stale:
        print(f"note: removed {stale} page file(s) no longer in the atlas", file=sys.stderr)
    return neuron_pages


def _finite_or(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else default


def _json_safe(value: Any) -> Any:
    """Non-finite floats (a gate with no stimulus of its kind scores -inf) become null: strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


# ------------------------------------------------------------------------------ family census

def _synthetic_records(store_root: Path, layer: dict) -> dict[int, dict]:
    """The stored synthetic-stage record of each unit of a layer that has one."""
    folder = layer.get("stages", {}).get("synthetic")
    if not folder:
        return {}
    stage_dir = store_root / folder
    records = {}
    for unit in layer["units"]:
        record = _load(stage_dir, unit)
        if record and record.get("family"):
            records[unit] = record
    return records


def _stage_records(store_root: Path, layer: dict, stage: str) -> dict[int, dict]:
    """The stored records of a stage for the units of a layer that have one (none without the stage)."""
    folder = layer.get("stages", {}).get(stage)
    if not folder:
        return {}
    stage_dir = store_root / folder
    if not stage_dir.is_dir():
        return {}
    return {unit: record for unit in layer["units"] if (record := _load(stage_dir, unit)) is not None}


def _stage_summary(store_root: Path, layer: dict, stage: str) -> dict | None:
    """A stage's per-layer record (`layer.json`), or None where the stage was not computed."""
    folder = layer.get("stages", {}).get(stage)
    path = store_root / folder / "layer.json" if folder else None
    return json.loads(path.read_text()) if path and path.is_file() else None


def _verdict_rows(records: dict[int, dict]) -> list[dict]:
    """Per argument: how many units of a layer pass it, and how many of the same units of the
    random-init control do (None where no unit has a control verdict)."""
    rows = []
    for key, number, title, _ in ARGUMENTS:
        verdicts = [record["verdicts"][key] for record in records.values() if key in (record.get("verdicts") or {})]
        if not verdicts:
            continue
        trained = sum(1 for v in verdicts if v.get("passed"))
        controls = [v.get("control_passed") for v in verdicts if v.get("control_passed") is not None]
        control = sum(1 for c in controls if c) if controls else None
        rows.append({"key": key, "number": number, "title": title, "units": len(verdicts), "trained": trained,
                     "control": control, "control_units": len(controls), **_separation(trained, control)})
    return rows


def _tally(records: dict[int, dict]) -> Counter:
    return Counter(record["family"]["label"] for record in records.values())


def _separation(trained: int, control: int | None) -> dict:
    if control is None:
        return {"separates": None, "text": "no control"}
    if trained >= SEPARATION_MIN and trained >= SEPARATION_RATIO * control:
        return {"separates": True, "text": "separates"}
    return {"separates": False, "text": "does not separate: not evidence"}


def _band(depth: float) -> str:
    return "early" if depth < EARLY_BELOW else "middle" if depth < MIDDLE_BELOW else "late"


def _census(manifest: dict, store_root: Path) -> dict:
    """Family counts per model and layer, for the trained model and its random-init control,
    read from the stored labels."""
    models = []
    seen: list[str] = []
    for model in manifest["models"]:
        control = model.get("control") or None
        control_layers = {layer["name"]: layer for layer in control["layers"]} if control else {}
        depth_of = _depths(model)
        layers = []
        for layer in model["layers"]:
            records = _synthetic_records(store_root, layer)
            trained = _tally(records)
            control_layer = control_layers.get(layer["name"])
            # A control without labels (its synthetic stage not computed) is no control: never compare with it.
            control_records = _synthetic_records(store_root, control_layer) if control_layer else {}
            control_counts = _tally(control_records) if control_records else None
            seen += list(trained) + list(control_counts or [])
            depth = depth_of(layer)
            rotation_summary = _stage_summary(store_root, layer, "rotation")
            verdicts = _stage_records(store_root, layer, "verdicts")
            layers.append({
                "name": layer["name"], "depth": depth, "band": _band(depth) if depth is not None else None,
                "records": records, "units": len(layer["units"]), "labelled": len(records), "counts": trained,
                "control_units": len(control_layer["units"]) if control_layer else None,
                "control_labelled": len(control_records) if control_records else None,
                "control_counts": control_counts, "control_records": control_records,
                "rotation_computed": rotation_summary is not None,
                "rotation": _stage_records(store_root, layer, "rotation") if rotation_summary else {},
                "rotation_families": (rotation_summary or {}).get("families") or {},
                "control_rotation_families": ((_stage_summary(store_root, control_layer, "rotation") or {})
                                              .get("families") if control_layer else None),
                "verdicts": {unit: record.get("verdicts") or {} for unit, record in verdicts.items()},
                "verdict_rows": _verdict_rows(verdicts),
            })
        if not any(layer["control_counts"] is not None for layer in layers):
            control = None
        models.append({"model": model, "control": control, "layers": layers,
                       "labelled": sum(layer["labelled"] for layer in layers)})
    families = list(FAMILIES) + [name for name in dict.fromkeys(seen) if name not in FAMILIES]
    for entry in models:
        for layer in entry["layers"]:
            rows = []
            for name in families:
                trained = layer["counts"].get(name, 0)
                control = layer["control_counts"].get(name, 0) if layer["control_counts"] is not None else None
                rows.append({"family": name, "trained": trained, "control": control, **_separation(trained, control)})
            layer["rows"] = rows
        entry["totals"] = {name: sum(layer["counts"].get(name, 0) for layer in entry["layers"]) for name in families}
        entry["control_totals"] = ({name: sum((layer["control_counts"] or {}).get(name, 0) for layer in entry["layers"])
                                    for name in families} if entry["control"] else None)
    totals = {name: sum(entry["totals"][name] for entry in models) for name in families}
    control_totals = {name: sum((entry["control_totals"] or {}).get(name, 0) for entry in models) for name in families}
    return {"models": models, "families": families, "totals": totals, "control_totals": control_totals,
            "has_control": any(entry["control"] for entry in models),
            "labelled": sum(entry["labelled"] for entry in models)}


def _depths(model: dict):
    """Relative depth of a layer in its model: 0 at the first hookable layer, 1 at the last."""
    orders = [info.get("order", 0) for info in (model.get("all_layers") or {}).values()]
    if not orders:
        orders = [layer.get("order", 0) for layer in model["layers"]]
    low, high = min(orders), max(orders)

    def depth(layer: dict) -> float | None:
        if "order" not in layer or high == low:
            return None
        return (layer["order"] - low) / (high - low)
    return depth


# The low-level progression of Distill's Early Vision overview (InceptionV1), as expectations:
# (label, families counted together, band where they are expected).
EXPECTATIONS = (
    ("Lines and edges", "Line/edge units", ("line/edge",), "early"),
    ("Colour (hue or colour contrast)", "Colour units", ("colour/hue", "colour contrast"), "early"),
    ("Brightness gradients", "Brightness-gradient units", ("brightness gradient",), "early"),
    ("Curves", "Curves", ("curve",), "middle"),
    ("Texture (responsive, no family gate passed)", "Texture/other units", ("texture/other",), "middle"),
    ("High-low frequency", "High-low frequency units", ("high-low frequency",), "middle"),
)
# InceptionV1 reference counts quoted from Distill's Early Vision overview (Olah et al. 2020),
# shown as context and labelled as the reference, never as a measurement of this atlas.
REFERENCE = {
    "High-low frequency": "in InceptionV1, Distill's Early Vision overview lists 15 high-low frequency "
                                "units in mixed3a",
    "Curves": "in InceptionV1, Distill's Early Vision overview places the curve detectors in mixed3b",
}


def _survey(model_census: dict) -> list[dict]:
    """One computed statement per expected family, from the counts of this model's layers."""
    layers = model_census["layers"]
    has_control = model_census["control"] is not None
    labelled = sum(layer["labelled"] for layer in layers)
    out = []
    for title, subject, names, band in EXPECTATIONS:
        found = []
        for layer in layers:
            trained = sum(layer["counts"].get(n, 0) for n in names)
            control = (sum(layer["control_counts"].get(n, 0) for n in names)
                       if layer["control_counts"] is not None else None)
            found.append({"layer": layer["name"], "band": layer["band"], "trained": trained, "control": control,
                          "labelled": layer["labelled"], **_separation(trained, control)})
        present = [f for f in found if f["trained"] > 0]
        in_band = [f for f in found if f["band"] == band]
        sentences = []
        if not labelled:
            sentences.append("No unit of this model has a family label yet (synthetic stage not computed).")
            verdict = "not tested"
        elif not present:
            sentences.append(f"{subject}: not found in any layer of this atlas ({labelled} labelled units in "
                             f"{len(layers)} layer{'s' if len(layers) != 1 else ''}).")
            verdict = "not found"
        else:
            first = present[0]
            sentences.append(f"{subject} first appear in {first['layer']} ({first['trained']} of {first['labelled']} "
                             f"labelled units{', ' + _article(first['band']) + ' layer' if first['band'] else ''}).")
            best = max(present, key=lambda f: f["trained"] / max(f["labelled"], 1))
            if best is not first:
                sentences.append(f"Most common in {best['layer']} ({best['trained']} of {best['labelled']}, "
                                 f"{100 * best['trained'] / max(best['labelled'], 1):.0f}%).")
            others = [f for f in present[1:] if f is not best]
            if others:
                sentences.append("Also in " + ", ".join(f"{f['layer']} ({f['trained']})" for f in others) + ".")
            here = [f for f in in_band if f["trained"] > 0]
            if not in_band:
                verdict = f"cannot be tested: this atlas has no {band} layer"
            elif not here:
                verdict = f"does not match: none in the {band} layers of this atlas"
            elif has_control and not any(f["separates"] for f in here):
                verdict = (f"present in {band} layers, but the criterion does not separate them from the "
                           f"random-init control there: not evidence")
            else:
                verdict = f"matches: present in {band} layers" + (
                    ", more often than in the random-init control" if has_control else "")
            if band == "middle" and any(f["band"] == "early" for f in present):
                verdict += "; already present in early layers"
        if has_control and present:
            parts = [f"{f['layer']}: {f['trained']} trained vs {f['control']} control ({f['text']})"
                     for f in present if f["control"] is not None]
            if parts:
                sentences.append("Against the random-init control, " + "; ".join(parts) + ".")
        elif has_control and any(f["control"] for f in found):
            sentences.append("The random-init control has " + ", ".join(
                f"{f['control']} in {f['layer']}" for f in found if f["control"]) + ".")
        out.append({"title": title, "families": names, "band": band, "verdict": verdict,
                    "sentences": sentences, "reference": REFERENCE.get(title), "layers": found})
    return out


def _article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _criterion(name: str, manifest: dict) -> str:
    """The gate of a family in words, with this atlas' thresholds (generate/families.py)."""
    p = manifest.get("families") or {}
    if not p:
        return ""
    n = lambda key: _format_number(float(p[key]))  # noqa: E731
    peak = f"peak drive ≥ {n('min_drive')} σ"
    spec = f"≥ {n('specificity')}× the peak of"
    text = {
        "curve": (f"{peak} over curves (standard variant); the best straight line of the same stroke length at most "
                  f"1/{n('curve_over_line')} of the curve peak; the drive at the opposite orientation ≤ "
                  f"{n('opposite_ratio')}× the peak; and at least {p['variants_needed']} of the 3 cosmetic variants "
                  f"(inverted, fill, grey) reaching ≥ {n('variant_ratio')}× the peak within "
                  f"{_degrees(p['variant_tolerance'])} of the preferred orientation"),
        "line/edge": (f"{peak} over straight lines or step edges (whichever is stronger); the drive at the "
                      f"orthogonal orientation ≤ {n('orthogonal_ratio')}× the peak"),
        "angle": (f"{peak} over angles; {spec} curves and of lines; the drive at the opposite orientation ≤ "
                  f"{n('opposite_ratio')}× the peak"),
        "high-low frequency": (f"{peak} over high-low frequency boundaries; {spec} step edges and of gratings; "
                               f"the drive at the opposite orientation ≤ {n('opposite_ratio')}× the peak"),
        "colour/hue": (f"{peak} over hue patches; {spec} grey patches; the least preferred hue ≤ "
                       f"{n('selectivity_ratio')}× the most preferred"),
        "colour contrast": f"{peak} over opponent-colour edges; {spec} luminance step edges",
        "centre-surround": f"{peak} over centre-surround discs; {spec} uniform discs, hue and grey patches",
        "brightness gradient": (f"{peak} over brightness ramps; {spec} step edges; the drive at the opposite "
                                f"orientation ≤ {n('selectivity_ratio')}× the peak"),
        "texture/other": f"no family gate passed, but some stimulus drives the unit ≥ {n('min_drive')} σ",
        "unresponsive": f"no stimulus of the battery drives the unit ≥ {n('min_drive')} σ",
    }
    return text.get(name, "")


# ------------------------------------------------------------------------------ rotation and verdicts

def _rotation_computed(census: dict) -> bool:
    return any(layer["rotation_computed"] for entry in census["models"] for layer in entry["layers"])


def _marks(theta: Any, period: float) -> list[float]:
    """Where an orientation is drawn on a 0–360° axis: twice for an axial (180°-periodic) one."""
    if theta is None:
        return []
    theta = float(theta) % 360.0
    return sorted({theta % 180.0, theta % 180.0 + 180.0}) if period == 180 else [theta]


def _rotation_view(record: dict | None) -> dict | None:
    """What the neuron page's rotation figures draw, arranged from the stored record."""
    if not record:
        return None
    angles = [float(a) for a in record.get("angles") or []]
    curves = [[_finite_or(v, 0.0) for v in curve] for curve in record.get("exemplar_curves") or []]
    average = [_finite_or(v, 0.0) for v in record.get("average") or []]
    values = [v for curve in curves for v in curve] + average
    hi, lo = max(values + [0.0]), min(values + [0.0])
    period = float(record.get("period") or 360.0)
    tuning = [_finite_or(v, 0.0) for v in record.get("rotation_tuning") or []]
    peaks = []
    for curve in curves:
        best = max(range(len(curve)), key=lambda i: curve[i]) if curve else None
        peaks.append({"value": curve[best] if best is not None else None,
                      "at": angles[best] if best is not None and best < len(angles) else None})
    return {
        "family": record.get("family"), "angles": angles, "curves": curves, "average": average, "peaks": peaks,
        "hi": hi if hi > lo else lo + 1.0, "lo": lo, "period": period,
        "tuning": tuning if len(tuning) == len(angles) else [],
        "synthetic": record.get("synthetic_orientation"), "rotation": record.get("rotation_orientation"),
        "agreement": record.get("agreement"), "anchors": record.get("anchors") or 0,
        "synthetic_marks": _marks(record.get("synthetic_orientation"), period),
        "rotation_marks": _marks(record.get("rotation_orientation"), period),
    }


def _verdict_view(verdicts: dict | None) -> list[dict]:
    """One row per stored argument, in the order of the arguments."""
    rows = []
    for key, number, title, unit in ARGUMENTS:
        verdict = (verdicts or {}).get(key)
        if verdict is None:
            continue
        rows.append({"key": key, "number": number, "title": title, "unit": unit, **verdict})
    return rows


def _joint_tuning(name: str, census: dict) -> list[dict]:
    """Per model and layer where the family has rotation data: its members' joint-tuning curves,
    ordered by synthetic preferred orientation, and the layer measures beside the control's."""
    if name not in ORIENTED:
        return []
    out = []
    for entry in census["models"]:
        for layer in entry["layers"]:
            measures = layer["rotation_families"].get(name)
            if not measures:
                continue
            rows = []
            for unit in measures.get("members") or []:
                record = layer["rotation"].get(unit)
                if not record:
                    continue
                view = _rotation_view(record)
                rows.append({"unit": unit, "href": f"../../{entry['model']['slug']}/{layer['name']}/{unit}/",
                             "page": f"../{entry['model']['slug']}/{layer['name']}/{unit}.md", **view})
            rows.sort(key=lambda r: (r["synthetic"] is None, _finite_or(r["synthetic"], 0.0), r["unit"]))
            control = layer["control_rotation_families"]
            out.append({"model": entry["model"], "layer": layer["name"], "rows": rows, "measures": measures,
                        "control": (control or {}).get(name) if control is not None else None,
                        "control_computed": control is not None})
    return out


def _verdict_criteria(census: dict, manifest: dict) -> dict[str, str]:
    """The text of each verdict's criterion: as stored with any verdict, else rebuilt from the params."""
    out: dict[str, str] = {}
    for entry in census["models"]:
        for layer in entry["layers"]:
            for verdicts in layer["verdicts"].values():
                for key, verdict in verdicts.items():
                    if verdict.get("criterion") and key not in out:
                        out[key] = verdict["criterion"]
    try:
        from generate.config import FamilyParams, RotationParams, VerdictParams
        from generate.analysis.verdicts import (dataset_examples_criterion, feature_visualization_criterion,
                                       joint_tuning_criterion, synthetic_criterion)

        if manifest.get("verdicts"):
            params = VerdictParams(**manifest["verdicts"])
            out.setdefault("feature_visualization", feature_visualization_criterion(params))
            exemplars = manifest.get("exemplars") or {}
            if "moderate_low" in exemplars:
                out.setdefault("dataset_examples", dataset_examples_criterion(
                    params, exemplars["moderate_low"], exemplars["moderate_high"]))
        if "synthetic_examples" not in out and manifest.get("families"):
            out["synthetic_examples"] = synthetic_criterion(FamilyParams(**manifest["families"]))
        if "joint_tuning" not in out and manifest.get("rotation"):
            out["joint_tuning"] = joint_tuning_criterion(RotationParams(**manifest["rotation"]))
    except (TypeError, ValueError):  # parameters from another version: the stored text is all there is
        return out
    return out


def _axis_line(axis: Any, length: float = 84.0) -> dict | None:
    """SVG endpoints (100 x 100 box, y down) of a contour axis in degrees (counter-clockwise, y up)."""
    if axis is None:
        return None
    rad = math.radians(float(axis))
    dx, dy = length / 2 * math.cos(rad), -length / 2 * math.sin(rad)
    return {"x1": round(50 - dx, 1), "y1": round(50 - dy, 1), "x2": round(50 + dx, 1), "y2": round(50 + dy, 1)}


def _overlays(images: list[dict], rows: list[dict], expected: Any) -> list[dict]:
    """Pair each image with its classical measurement: the measured axis and the expected one."""
    return [{**image, **row, "measured_line": _axis_line(row.get("orientation")), "expected_line": _axis_line(expected)}
            for image, row in zip(images, rows)]


def _argument_figures(verdicts: dict | None, seed_images: list[dict], exemplars: list[dict],
                      moderate: list[dict]) -> dict:
    """What the figures of Arguments 1 and 2 draw on a neuron page, from the stored verdicts."""
    out: dict[str, Any] = {}
    fv = (verdicts or {}).get("feature_visualization") or {}
    if fv.get("seeds"):
        by_seed = {image["seed"]: image for image in seed_images}
        rows = [row for row in fv["seeds"] if row["seed"] in by_seed]
        out["featurevis"] = _overlays([by_seed[row["seed"]] for row in rows], rows, fv.get("expected"))
    examples = (verdicts or {}).get("dataset_examples") or {}
    if examples.get("strong"):
        out["strong"] = _overlays(exemplars, examples["strong"], examples.get("expected"))
        out["moderate"] = _overlays(moderate, examples.get("moderate") or [], examples.get("expected"))
    return out


# ------------------------------------------------------------------------------ gallery

def _gallery(manifest: dict, store_root: Path, writer: _Writer) -> list[dict]:
    """Copy the stimulus strips into the docs folder; one entry per stimulus family."""
    folder = manifest.get("gallery")
    if not folder or not (store_root / folder).is_dir():
        return []
    gallery_dir = store_root / folder
    listing = gallery_dir / "gallery.json"
    names = json.loads(listing.read_text()).get("families", []) if listing.is_file() else \
        sorted(p.stem for p in gallery_dir.glob("*.png"))
    names = sorted(names, key=lambda n: (STIMULUS_ORDER.index(n) if n in STIMULUS_ORDER else len(STIMULUS_ORDER), n))
    counts = _battery_counts(manifest.get("synthetic") or {})
    strips = []
    for name in names:
        png = gallery_dir / f"{name}.png"
        if not png.is_file():
            continue
        relative = f"img/stimuli/{name}.png"
        writer.copy(png, relative)
        with Image.open(png) as image:
            width, height = image.size
        strips.append({"family": name, "title": {"high_low": "high-low frequency"}.get(name, name.replace("_", " ")),
                       "file": relative, "width": width, "height": height,
                       "count": counts.get(name), "text": _stimulus_text(name, manifest.get("synthetic") or {})})
    return strips


def _battery_counts(params: dict) -> dict[str, int]:
    """How many stimuli of each family the battery holds (the battery is a function of its parameters)."""
    try:
        from generate.analysis.stimuli import BatteryParams, battery

        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        return dict(Counter(s.family for s in battery(BatteryParams(**fields))))
    except Exception:  # parameters from another version of the battery: counts are optional
        return {}


def _stimulus_text(name: str, p: dict) -> str:
    from generate.analysis.stimuli import CENTRE_SURROUND, COLOUR_PAIRS, CURVE_VARIANTS

    if not p:
        return ""
    step = _degrees(p["orientation_step"])
    joined = lambda values, suffix="": ", ".join(f"{_format_number(float(v))}{suffix}" for v in values)  # noqa: E731
    radii = p["radii"]
    mid = radii[len(radii) // 2]
    text = {
        "curve": (f"90° arcs of radius {joined(radii)} × the receptive field, bulging toward each orientation every "
                  f"{step}, stroke {_format_number(float(p['stroke']))} × the field (at least 1.5 px), in "
                  f"{len(CURVE_VARIANTS)} cosmetic variants: standard (dark on white), inverted (white on black), "
                  f"fill (blue/yellow regions meeting along the arc, on grey) and grey (dark on grey)"),
        "line": (f"straight dark strokes as long as the arc of the middle curve radius ({_format_number(float(mid))} × "
                 f"field × π/2), every {step}: the straight control for curves"),
        "edge": f"light/dark step edges in a disc the size of the field, light side toward each orientation, every {step}",
        "angle": (f"two strokes meeting at the centre with openings {joined(p['openings'], '°')}, the vertex pointing "
                  f"toward each orientation, every {step}"),
        "grating": (f"sinusoidal gratings of {joined(p['frequencies'])} cycles per receptive field, every {step} over "
                    f"180°, in two phases; a unit's frequency drive is its best orientation and phase"),
        "high_low": f"fine 2-px binary texture on one side of a boundary and smooth grey on the other, every {step}",
        "hue": f"{p['hues']} fully saturated hues, as discs the size of the field on grey",
        "grey_patch": "grey discs of levels 0, 0.25, 0.75 and 1 on grey: the colourless control for hue",
        "colour_edge": ("opponent-colour edges (" + ", ".join(f"{a}/{b}" for a, b in COLOUR_PAIRS)
                        + f") in a disc the size of the field, every {step}"),
        "centre_surround": ("a disc of one colour inside an annulus of another (" + ", ".join(
            f"{c} in {s}" for c, s in CENTRE_SURROUND) + "), on grey"),
        "uniform_disc": "uniform discs of each centre colour alone (a quarter of the field wide): the control for centre-surround",
        "gradient": f"linear brightness ramps across the field, brightest toward each orientation, every {step}",
        "blank": "uniform fields of black, grey and white: the baselines every drive is measured from",
    }
    return text.get(name, "")


# ------------------------------------------------------------------------------ neuron views

def _preferred_text(family: dict | None, field_px: float) -> str:
    """The preferred stimulus of a unit's family in words, e.g. 'preferred orientation 135°, radius 0.2 × field'."""
    if not family:
        return ""
    pref = family.get("preferred") or {}
    label = family.get("label")
    parts = []
    if "a" in pref and "b" in pref:
        parts.append(f"{pref['a']}/{pref['b']} edge")
    if "centre" in pref and "surround" in pref:
        parts.append(f"{pref['centre']} centre in a {pref['surround']} surround")
    if "colour" in pref:
        parts.append(f"{pref['colour']}")
    if "hue" in pref and pref["hue"] is not None:
        parts.append(f"hue {_degrees(360 * float(pref['hue']))}")
    if pref.get("orientation") is not None:
        kind = f" ({pref['kind']})" if pref.get("kind") else ""
        noun = {"angle": "vertex toward", "brightness gradient": "brightest toward",
                "colour contrast": f"{pref.get('a', 'first colour')} side toward",
                "high-low frequency": "textured side toward"}.get(label, "preferred orientation")
        parts.append(f"{noun} {_degrees(pref['orientation'])}{kind}")
    if pref.get("opening") is not None:
        parts.append(f"opening {_degrees(pref['opening'])}")
    if pref.get("radius") is not None:
        parts.append(f"radius {_format_number(float(pref['radius']))} × receptive field "
                     f"(≈ {float(pref['radius']) * field_px:.0f} px)")
    return ", ".join(parts)


def _bars(labels: list[str], values: list[float], fills: list[str | None] | None = None, unit: str = "σ") -> list[dict]:
    fills = fills or [None] * len(values)
    return [{"label": label, "value": _finite_or(value, 0.0), "fill": fill,
             "title": f"{label}: {_format_number(value)} {unit}"} for label, value, fill in zip(labels, values, fills)]


def _synthetic_view(synthetic: dict | None, params: dict) -> dict | None:
    """What the neuron page's figures draw, arranged from the stored record (no new numbers)."""
    if not synthetic:
        return None
    thetas = synthetic.get("orientations") or []
    view: dict[str, Any] = {"orientations": thetas}
    curve = synthetic.get("curve") or {}
    heat = curve.get("heatmap") or []
    if heat and thetas:
        flat = [(_finite_or(v, 0.0), r, t) for r, row in enumerate(heat) for t, v in enumerate(row)]
        peak = max(flat, key=lambda cell: cell[0])  # the first of equal maxima, as the labeller picks
        view["heatmap"] = {"radii": curve.get("radii", []), "rows": [[_finite_or(v, 0.0) for v in row] for row in heat],
                           "scale": max(abs(v) for v, _, _ in flat) or 1.0,
                           "peak": {"value": peak[0], "radius": curve["radii"][peak[1]], "orientation": thetas[peak[2]],
                                    "row": peak[1], "col": peak[2]}}
    tuning = synthetic.get("orientation_tuning") or {}
    names = {"curve": "curve", "line": "line", "edge": "edge", "angle": "angle", "high_low": "high-low",
             "gradient": "gradient"}
    polar = []
    for key, title in names.items():
        values = tuning.get(key)
        if not values:
            continue
        clean = [_finite_or(v, 0.0) for v in values]
        best = max(range(len(clean)), key=lambda i: clean[i])
        polar.append({"key": key, "title": title, "drives": clean, "peak": clean[best], "at": thetas[best]})
    if polar:
        view["polar"] = polar
        view["polar_scale"] = max([p["peak"] for p in polar] + [0.0]) or 1.0
    freq = synthetic.get("frequency_tuning") or {}
    if freq.get("drive"):
        view["frequency"] = _bars([_format_number(float(f)) for f in freq["frequencies"]], freq["drive"])
    hue = synthetic.get("hue") or {}
    if hue.get("drive"):
        hues = hue.get("hues") or []
        items = _bars([_degrees(360 * float(h)) for h in hues], hue["drive"],
                      [f"hsl({360 * float(h):.0f}, 100%, 50%)" for h in hues])
        levels = GREY_LEVELS[:len(hue.get("grey") or [])]
        greys = _bars([_format_number(level) for level in levels], hue.get("grey") or [],
                      [f"rgb({255 * level:.0f}, {255 * level:.0f}, {255 * level:.0f})" for level in levels])
        for item, level in zip(greys, levels):
            item["title"] = f"grey {_format_number(level)}: {item['title'].split(': ', 1)[1]}"
        view["hue"] = {"items": items + greys, "hues": len(hues), "greys": len(greys)}
    variants = curve.get("variants") or {}
    if variants:
        standard = variants.get("standard") or {}
        ratio, tolerance = params.get("variant_ratio"), params.get("variant_tolerance")
        rows = []
        for name, v in variants.items():
            peak, orientation = v.get("peak"), v.get("orientation")
            delta = None
            if orientation is not None and standard.get("orientation") is not None:
                d = abs(float(orientation) - float(standard["orientation"])) % 360.0
                delta = min(d, 360.0 - d)
            reference = _finite_or(standard.get("peak"), 0.0)
            share = peak / reference if reference > 0 and _finite_or(peak, None) is not None else None
            agrees = None
            if name != "standard" and share is not None and delta is not None and ratio is not None:
                agrees = share >= ratio and delta <= tolerance
            rows.append({"name": name, "peak": peak, "orientation": orientation, "radius": v.get("radius"),
                         "delta": delta, "share": share, "agrees": agrees})
        view["variants"] = {"rows": rows, "bars": _bars([r["name"] for r in rows], [r["peak"] for r in rows])}
    view["colour_edge"] = synthetic.get("colour_edge") or {}
    view["centre_surround"] = synthetic.get("centre_surround") or {}
    return view


def _gate_rows(family: dict | None, families: list[str]) -> list[dict]:
    if not family:
        return []
    gates = family.get("gates") or {}
    order = [name for name in families if name in gates] + [name for name in gates if name not in families]
    return [{"family": name, **gates[name]} for name in order]


def _render_layer(env, writer, manifest, model, layer, store_root, bar, layer_census, census) -> list[dict]:
    base = f"{model['slug']}/{layer['name']}"
    fv_dir = store_root / layer["stages"]["featurevis"] if layer["stages"].get("featurevis") else None
    data_dir = store_root / layer["stages"]["dataset"]
    units = layer["units"]
    records = layer_census["records"]
    field_px = float(min(layer["rf"]["size"], layer["rf"].get("input_size") or layer["rf"]["size"]))
    cells = []
    for position, unit in enumerate(units):
        vis = _load(fv_dir, unit) if fv_dir else None
        data = _load(data_dir, unit)
        synth = records.get(unit)
        family = synth.get("family") if synth else None
        turned = layer_census["rotation"].get(unit)
        verdicts = layer_census["verdicts"].get(unit)
        images: dict[str, Any] = {"featurevis": {}, "exemplars": []}
        if vis:
            for kind in ("positive", "negative", "diversity"):
                if kind in vis:
                    names = []
                    for file in vis[kind]["files"]:
                        writer.copy(fv_dir / file, f"{base}/img/{file}")
                        names.append(f"img/{file}")
                    images["featurevis"][kind] = {"files": names, "objective": vis[kind]["objective"]}
            thumb = f"img/{unit}.thumb.jpg"
            writer.write(f"{base}/{thumb}", _thumbnail(fv_dir / vis["positive"]["files"][0]))
        else:
            thumb = None
        if data:
            for exemplar in data["exemplars"]:
                writer.copy(data_dir / exemplar["file"], f"{base}/img/{exemplar['file']}")
                entry = {**exemplar, "file": f"img/{exemplar['file']}"}
                heatmap = exemplar.get("heatmap")
                if heatmap and (data_dir / heatmap).is_file():
                    writer.copy(data_dir / heatmap, f"{base}/img/{heatmap}")
                    entry["heatmap"] = f"img/{heatmap}"
                else:
                    entry.pop("heatmap", None)
                images["exemplars"].append(entry)
        moderate = []
        for exemplar in (data or {}).get("moderate") or []:
            writer.copy(data_dir / exemplar["file"], f"{base}/img/{exemplar['file']}")
            moderate.append({**exemplar, "file": f"img/{exemplar['file']}"})
        seed_images = []
        for seed, folder in (layer.get("featurevis_seeds") or {}).items():
            seed_record = _load(store_root / folder, unit)
            if seed_record:
                name = f"{unit}.seed{seed}.png"
                writer.copy(store_root / folder / seed_record["positive"]["files"][0], f"{base}/img/{name}")
                seed_images.append({"seed": int(seed), "file": f"img/{name}"})
        stats = data["stats"] if data else None
        record = {
            "model": model["name"], "layer": layer["name"], "unit": unit,
            "featurevis": images["featurevis"] or None,
            "exemplars": images["exemplars"] or None,
            "moderate": moderate or None,
            "stats": stats,
            "synthetic": synth.get("synthetic") if synth else None,
            "family": family,
            "rotation": turned,
            "verdicts": verdicts or None,
            "receptive_field": layer["rf"],
            "weights_hash": model["weights_hash"],
            "atlas_version": manifest["atlas_version"],
        }
        neighbours = {
            "previous": units[position - 1] if position > 0 else None,
            "next": units[position + 1] if position + 1 < len(units) else None,
        }
        writer.write(f"{base}/{unit}.json", json.dumps(_json_safe(record), indent=1))
        writer.write(f"{base}/{unit}.md", env.get_template("neuron.md.j2").render(
            atlas=manifest, model=model, layer=layer, unit=unit, record=record,
            preferred=_preferred_text(family, field_px),
            view=_synthetic_view(record["synthetic"], manifest.get("families") or {}),
            gates=_gate_rows(family, census["families"]), rotation=_rotation_view(turned),
            rotation_computed=layer_census["rotation_computed"], verdict_rows=_verdict_view(verdicts),
            arguments=_argument_figures(verdicts, seed_images, images["exemplars"], moderate), **neighbours))
        cells.append({"unit": unit, "thumb": thumb, "stats": stats, "family": family,
                      "preferred": _preferred_text(family, field_px),
                      "objective": vis["positive"]["objective"] if vis else None})
        bar.update(1)
    groups = []
    if any(cell["family"] for cell in cells):
        for name in census["families"] + [None]:
            members = [c for c in cells if (c["family"] or {}).get("label") == name] if name else \
                [c for c in cells if not c["family"]]
            if members:
                groups.append({"family": name, "slug": family_slug(name) if name else "unlabelled", "cells": members})
    writer.write(f"{base}/index.md", env.get_template("layer.md.j2").render(
        atlas=manifest, model=model, layer=layer, cells=cells, groups=groups, census=layer_census,
        feature_maps=_feature_maps(writer, layer, store_root, base)))
    return cells


def _feature_maps(writer: _Writer, layer: dict, store_root: Path, base: str) -> list[dict]:
    """Mosaics of every atlas unit's activation map on reference photos, when the layer has them."""
    maps = layer.get("feature_maps") or {}
    folder = maps.get("dir")
    out = []
    for entry in maps.get("files") or []:
        source = store_root / folder / entry["file"] if folder else None
        if not source or not source.is_file():
            continue
        relative = f"img/maps/{entry['file']}"
        writer.copy(source, f"{base}/{relative}")
        with Image.open(source) as image:
            width, height = image.size
        thumb = None
        if entry.get("photo") and (store_root / folder / entry["photo"]).is_file():
            thumb = f"img/maps/{entry['photo']}"
            writer.copy(store_root / folder / entry["photo"], f"{base}/{thumb}")
        out.append({"source": entry.get("source", entry["file"]), "thumb": thumb, "file": relative,
                    "width": width, "height": height, "columns": maps.get("columns")})
    return out


def build(docs: Path, site_dir: Path, strict: bool = True, site_url: str = "") -> None:
    """mkdocs build with this repo's mkdocs.yml, pointed at `docs` and `site_dir`."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    overrides = {"docs_dir": str(Path(docs).resolve()), "site_dir": str(Path(site_dir).resolve()), "strict": strict}
    if site_url:
        overrides["site_url"] = site_url
    try:
        config = load_config(str(REPO_ROOT / "mkdocs.yml"), **overrides)
        mkdocs_build(config)
    except MkDocsException as exc:
        raise AtlasError(f"mkdocs build failed: {exc}") from None
