"""The claims report: one computed conclusion per seed experiment, per model, from the census.

Nothing here is written about results by hand: every statement is counted from the stored
family labels and verdicts (via `site._census`), and each conclusion follows one rule, printed
on its page:

- an argument is **supported** for a family in a model when at least MIN_UNITS units carry the
  label, at least half of them pass it, and the passes are at least RATIO x those of the
  random-init control's units with the same label (and at least MIN_UNITS);
- **not supported** when enough units carry the label but that fails;
- **inconclusive** when too few units carry the label, or the verdict was not computed.
"""

from __future__ import annotations

from typing import Any

from generate.analysis.families import ORIENTED

MIN_UNITS = 3  # as SEPARATION_MIN in site.py: fewer units than this decide nothing
RATIO = 2  # as SEPARATION_RATIO in site.py
ARGUMENTS = (("feature_visualization", 1, "feature visualization"), ("dataset_examples", 2, "dataset examples"),
             ("synthetic_examples", 3, "synthetic examples"), ("joint_tuning", 4, "joint tuning"))
SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
LOW_LEVEL = ("line/edge", "colour contrast", "colour/hue", "brightness gradient", "high-low frequency")


def rule_text() -> str:
    return (f"supported when at least {MIN_UNITS} units carry the label, at least half of them pass, and they "
            f"pass at least {RATIO}× as often as the random-init control's units with the same label (and at "
            f"least {MIN_UNITS} times); not supported when enough units carry the label but that fails; "
            f"inconclusive when fewer than {MIN_UNITS} units carry it or the verdict was not computed")


def _label_of(records: dict[int, dict], unit: int) -> str | None:
    record = records.get(unit)
    return record["family"]["label"] if record else None


def argument_tally(entry: dict, family: str, key: str, layers: list[str] | None = None) -> dict:
    """Units of `family` passing one argument, trained against the control's units of the same label."""
    trained = control = n = control_n = 0
    computed = False
    for layer in entry["layers"]:
        if layers is not None and layer["name"] not in layers:
            continue
        for unit, verdicts in layer["verdicts"].items():
            verdict = verdicts.get(key)
            if verdict is None:
                continue
            computed = True
            if _label_of(layer["records"], unit) == family:
                n += 1
                trained += bool(verdict.get("passed"))
            if _label_of(layer.get("control_records") or {}, unit) == family:
                control_n += 1
                control += bool(verdict.get("control_passed"))
    has_control = entry["control"] is not None
    return {"key": key, "units": n, "passed": trained, "control_units": control_n if has_control else None,
            "control_passed": control if has_control else None, "computed": computed,
            "conclusion": conclude(n, trained, control if has_control else None, computed)}


def conclude(units: int, passed: int, control_passed: int | None, computed: bool = True) -> str:
    if not computed or units < MIN_UNITS:
        return INCONCLUSIVE
    separates = control_passed is None or (passed >= MIN_UNITS and passed >= RATIO * control_passed)
    return SUPPORTED if passed * 2 >= units and separates else NOT_SUPPORTED


def overall(conclusions: list[str]) -> str:
    """A claim made of several arguments holds when each does."""
    if any(c == NOT_SUPPORTED for c in conclusions):
        return NOT_SUPPORTED
    if conclusions and all(c == SUPPORTED for c in conclusions):
        return SUPPORTED
    return INCONCLUSIVE


def family_members(entry: dict, family: str) -> list[dict]:
    """Every unit of a model with the label, strongest first, with its verdicts."""
    out = []
    for layer in entry["layers"]:
        for unit, record in layer["records"].items():
            if record["family"]["label"] == family:
                out.append({"layer": layer["name"], "unit": unit, "score": record["family"]["score"],
                            "preferred": record["family"].get("preferred") or {},
                            "verdicts": layer["verdicts"].get(unit) or {}})
    return sorted(out, key=lambda m: -(m["score"] or 0.0))


def curve_claim(entry: dict) -> dict:
    """Arguments 1-4 for the curve family of one model, and the joint-tuning measures per layer."""
    tallies = [{**argument_tally(entry, "curve", key), "number": number, "title": title}
               for key, number, title in ARGUMENTS]
    coverage = [{"layer": layer["name"], **layer["rotation_families"]["curve"]}
                for layer in entry["layers"] if "curve" in layer["rotation_families"]]
    counts = [{"layer": layer["name"], "trained": layer["counts"].get("curve", 0),
               "control": (layer["control_counts"] or {}).get("curve", 0) if layer["control_counts"] is not None
               else None, "labelled": layer["labelled"]} for layer in entry["layers"]]
    return {"model": entry["model"], "arguments": tallies, "conclusion": overall([t["conclusion"] for t in tallies]),
            "members": family_members(entry, "curve"), "high_low": family_members(entry, "high-low frequency"),
            "coverage": coverage, "counts": counts}


def low_level_claim(entry: dict) -> dict:
    """Feature visualizations of the early layers show low-level features: Argument 1 over the
    oriented low-level families of the early layers, and the family counts beside the control."""
    early = [layer["name"] for layer in entry["layers"] if layer["band"] == "early"]
    rows = []
    for family in LOW_LEVEL:
        trained = sum(layer["counts"].get(family, 0) for layer in entry["layers"] if layer["name"] in early)
        control = (sum((layer["control_counts"] or {}).get(family, 0) for layer in entry["layers"]
                       if layer["name"] in early) if entry["control"] is not None else None)
        row = {"family": family, "trained": trained, "control": control, "oriented": family in ORIENTED}
        if family in ORIENTED:
            row["argument_1"] = argument_tally(entry, family, "feature_visualization", early)
        rows.append(row)
    judged = [row["argument_1"]["conclusion"] for row in rows if "argument_1" in row
              and row["argument_1"]["conclusion"] != INCONCLUSIVE]
    conclusion = INCONCLUSIVE if not early or not judged else (
        SUPPORTED if SUPPORTED in judged else NOT_SUPPORTED)
    gallery = [member for layer in entry["layers"] if layer["name"] in early
               for member in _first_of_each(entry, layer)]
    return {"model": entry["model"], "early": early, "rows": rows, "conclusion": conclusion, "gallery": gallery}


def _first_of_each(entry: dict, layer: dict, per_family: int = 6) -> list[dict]:
    """Up to `per_family` strongest units of each low-level family in a layer, for the figure."""
    out = []
    for family in LOW_LEVEL:
        members = sorted(((unit, r) for unit, r in layer["records"].items() if r["family"]["label"] == family),
                         key=lambda item: -(item[1]["family"]["score"] or 0.0))[:per_family]
        out += [{"layer": layer["name"], "unit": unit, "family": family,
                 "verdicts": layer["verdicts"].get(unit) or {}} for unit, _ in members]
    return out


def _coverage(entry: dict, family: str) -> float | None:
    """The best coverage of the circle by the family's members in any layer of the model."""
    values = [layer["rotation_families"][family]["coverage"] for layer in entry["layers"]
              if family in layer["rotation_families"]]
    return max(values) if values else None


# The orientation-tuning curve (generate/synthetic.py `summarise`) that shows each oriented family.
TUNING_OF = {"curve": "curve", "angle": "angle", "high-low frequency": "high_low", "brightness gradient": "gradient"}


def _unit_index(census: dict) -> dict[tuple[str, str, int], dict]:
    """(model name, layer, unit) -> what the universality page shows beside a matched unit."""
    index = {}
    for entry in census["models"]:
        for layer in entry["layers"]:
            for unit, record in layer["records"].items():
                family = record["family"]
                kind = TUNING_OF.get(family["label"]) or (
                    (family.get("preferred") or {}).get("kind") if family["label"] == "line/edge" else None)
                tuning = (record.get("synthetic") or {}).get("orientation_tuning", {}).get(kind) if kind else None
                verdicts = layer["verdicts"].get(unit) or {}
                index[(entry["model"]["name"], layer["name"], unit)] = {
                    "slug": entry["model"]["slug"], "tuning": tuning,
                    "angles": (record.get("synthetic") or {}).get("orientations"),
                    "marks": "".join(("✓" if verdicts[key].get("passed") else "✗") if key in verdicts else "–"
                                     for key, _, _ in ARGUMENTS)}
    return index


def _matched(matches: list[dict], family: str, index: dict | None = None) -> list[dict]:
    """Per other model: the reference model's units of `family` beside their best matches, with
    each side's tuning curve and verdict marks where the census has them."""
    index = index or {}
    out = []
    for record in matches:
        rows = [{**u, "own": index.get((record["reference"], u["layer"], u["unit"])),
                 "theirs": index.get((record["other"], u["match"]["layer"], u["match"]["unit"]))}
                for u in record["units"] if u["label"] == family]
        if not rows:
            continue
        same = sum(u["match"]["label"] == family for u in rows)
        control_same = sum((u["control"] or {}).get("label") == family for u in rows) if record["control"] else None
        out.append({"other": record["other"], "other_slug": record["other_slug"], "control": record["control"],
                    "measures": record["measures"],
                    "rows": rows, "same_label": same, "control_same_label": control_same,
                    "mean": sum(u["match"]["similarity"] for u in rows) / len(rows),
                    "control_mean": (sum(u["control"]["similarity"] for u in rows) / len(rows)
                                     if record["control"] else None)})
    return out


def universality_claim(census: dict, matches: list[dict] | None = None) -> dict:
    """Across the models of this atlas: for each family, in how many models it separates from
    the control in some layer, how much of the circle oriented families cover, and how the
    reference model's units match the other models' (and their controls')."""
    models = census["models"]
    index = _unit_index(census)
    rows = []
    for family in census["families"]:
        if family in ("texture/other", "unresponsive"):
            continue
        found = []
        for entry in models:
            separating = [row for layer in entry["layers"] for row in layer["rows"]
                          if row["family"] == family and row["separates"]]
            present = sum(layer["counts"].get(family, 0) for layer in entry["layers"])
            control = (sum((layer["control_counts"] or {}).get(family, 0) for layer in entry["layers"])
                       if entry["control"] is not None else None)
            found.append({"model": entry["model"], "present": present, "control": control,
                          "separates": bool(separating),
                          "coverage": _coverage(entry, family) if family in ORIENTED else None})
        n_found = sum(f["separates"] for f in found)
        conclusion = INCONCLUSIVE if len(models) < 2 else (SUPPORTED if n_found == len(models) else (
            NOT_SUPPORTED if n_found < len(models) / 2 else INCONCLUSIVE))
        covering = [f["coverage"] for f in found if f["separates"] and f["coverage"] is not None]
        summary = f"{family}: found in {n_found} of {len(models)} model{'s' if len(models) != 1 else ''}"
        if covering:
            summary += f", covering {360 * sum(covering) / len(covering):.0f}° of orientation on average"
        rows.append({"family": family, "models": found, "found_in": n_found, "conclusion": conclusion,
                     "summary": summary, "matched": _matched(matches or [], family, index)})
    return {"models": [entry["model"] for entry in models], "rows": rows,
            "reference": models[0]["model"] if models else None}


SURVIVES = 0.8  # a variation keeps the labels when at least this fraction of units keep theirs


def sensitivity(base: dict, variations: list[tuple[dict, dict]]) -> dict:
    """The sensitivity table: for the reference model (`base`, a census entry) and each
    (variation, its census entry), family counts, how many units keep their label, verdict
    passes per argument and the curve claim's conclusion."""
    def labels(entry: dict) -> dict:
        return {(layer["name"], unit): r["family"]["label"] for layer in entry["layers"]
                for unit, r in layer["records"].items()}

    def row(name: str, variation: dict | None, entry: dict) -> dict:
        own, reference = labels(entry), labels(base)
        shared = [key for key in own if key in reference]
        kept = sum(own[key] == reference[key] for key in shared)
        passes = {key: {"trained": sum(bool(v.get(key, {}).get("passed")) for layer in entry["layers"]
                                       for v in layer["verdicts"].values()),
                        "control": sum(bool(v.get(key, {}).get("control_passed")) for layer in entry["layers"]
                                       for v in layer["verdicts"].values())}
                  for key, _, _ in ARGUMENTS}
        counts = {family: (sum(layer["counts"].get(family, 0) for layer in entry["layers"]),
                           sum((layer["control_counts"] or {}).get(family, 0) for layer in entry["layers"]))
                  for family in ("curve", "line/edge", "high-low frequency", "colour contrast", "angle")}
        agreement = kept / len(shared) if shared else None
        return {"name": name, "variation": variation, "counts": counts, "passes": passes, "units": len(shared),
                "kept": kept, "agreement": agreement,
                "survives": None if variation is None else (agreement is not None and agreement >= SURVIVES),
                "curve": curve_claim(entry)["conclusion"]}

    rows = [row("reference", None, base)] + [row(v["name"], v, entry) for v, entry in variations]
    return {"rows": rows, "threshold": SURVIVES,
            "survived": sum(bool(r["survives"]) for r in rows[1:]), "variations": len(rows) - 1}


def report(census: dict, matches: list[dict] | None = None,
           variations: list[tuple[dict, dict]] | None = None) -> dict[str, Any]:
    """Everything the claims pages show."""
    return {"curve": [curve_claim(entry) for entry in census["models"]],
            "low_level": [low_level_claim(entry) for entry in census["models"]],
            "universality": universality_claim(census, matches),
            "sensitivity": sensitivity(census["models"][0], variations) if variations else None,
            "rule": rule_text()}
