"""What an atlas lacks: the stages that have not run (or not for every unit) in each layer, and the
command that computes them. Pages render from any partial store and say so."""

from __future__ import annotations

from generate.records import LayerManifest, ModelManifest
from generate.site.views.context import Site

# The unit-level stages a neuron page shows, in the order they run: what each is, and the command.
STAGES = (("dataset", "dataset examples and statistics", "exemplars"),
          ("featurevis", "feature visualizations", "featurevis"),
          ("synthetic", "synthetic stimuli and family labels", "synthetic"),
          ("rotation", "rotation", "atlas"),
          ("verdicts", "verdicts", "atlas"))


def _stored(site: Site, layer: LayerManifest, stage: str) -> int | None:
    """How many of the layer's units have the stage's record (rotation: all or none, by its layer
    record, since it measures only units of oriented families); None where the run has no such stage."""
    folder = layer.stages.get(stage)
    if not folder:
        return None
    if stage == "rotation":
        return len(layer.units) if site.reader.path(folder, "layer.json").is_file() else 0
    return sum(site.reader.path(folder, f"{unit}.json").is_file() for unit in layer.units)


def command(site: Site, name: str) -> str:
    config = site.manifest.config
    return f"python -m generate {name}" + (f" --config {config}" if config else "")


def missing(site: Site, model: ModelManifest, layer: LayerManifest) -> list[dict]:
    """The stages a layer lacks, each with how many units have it and the command that computes it."""
    rows = []
    for stage, title, name in STAGES:
        stored = _stored(site, layer, stage)
        if stored is not None and stored < len(layer.units):
            rows.append({"model": model, "layer": layer.name, "stage": title, "stored": stored,
                         "units": len(layer.units), "command": command(site, name)})
    return rows


def atlas_missing(site: Site) -> list[dict]:
    """Every layer's missing stages, across the atlas."""
    return [row for model in site.manifest.models for layer in model.layers for row in missing(site, model, layer)]


def unit_missing(site: Site, shown: dict[str, bool]) -> list[dict]:
    """What a neuron page cannot show (`shown`: stage -> whether the unit has it), with commands."""
    return [{"stage": title, "command": command(site, name)} for stage, title, name in STAGES
            if stage in shown and not shown[stage]]
