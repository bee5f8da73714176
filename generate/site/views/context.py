"""What every view reads: the manifest, the store, the census and the run's parameters as typed objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from generate.analysis import verdicts as verdict_rules
from generate.analysis.census import Census
from generate.analysis.claims import Judge
from generate.analysis.statistics import FamilyRule
from generate.analysis.families import criterion_text
from generate.config import ArcParams, BatteryParams, ExemplarParams, FamilyParams, RotationParams, VerdictParams
from generate.records import DatasetInfo, Manifest, ModelManifest
from generate.site.reader import StoreReader

P = TypeVar("P")


def parameters(kind: type[P], values: dict[str, Any]) -> P | None:
    """A section of the run's config as its parameter class; None where the run has none (or it is
    from another version of the code: then the pages print only what was stored)."""
    if not values:
        return None
    try:
        return kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except (TypeError, ValueError):
        return None


@dataclass
class Site:
    manifest: Manifest
    reader: StoreReader
    census: Census
    families: FamilyParams | None = None
    rotation: RotationParams | None = None
    verdicts: VerdictParams | None = None
    battery: BatteryParams | None = None
    exemplars: ExemplarParams | None = None
    family_criteria: dict[str, str] = field(default_factory=dict)  # family -> its gate in words

    @classmethod
    def of(cls, manifest: Manifest, reader: StoreReader, census: Census) -> Site:
        families = parameters(FamilyParams, manifest.families)
        return cls(manifest=manifest, reader=reader, census=census, families=families,
                   rotation=parameters(RotationParams, manifest.rotation),
                   verdicts=parameters(VerdictParams, manifest.verdicts),
                   battery=parameters(BatteryParams, manifest.synthetic),
                   exemplars=parameters(ExemplarParams, manifest.exemplars),
                   family_criteria={name: criterion_text(name, families) if families else ""
                                    for name in census.families})

    def dataset(self, model: ModelManifest) -> DatasetInfo:
        """The images a model's examples and statistics come from."""
        return model.dataset or self.manifest.dataset

    def moderate_band(self) -> tuple[int, int] | None:
        """The moderate-activation band of exemplars, in percent of a unit's largest activation."""
        if not self.exemplars:
            return None
        return int(round(100 * self.exemplars.moderate_low, 0)), int(round(100 * self.exemplars.moderate_high, 0))

    def verdict_criteria(self) -> dict[str, str]:
        """The text of each verdict's criterion: as stored with any verdict, else rebuilt from the parameters."""
        out: dict[str, str] = {}
        for layer in self.census.layers():
            for record in layer.verdicts.values():
                for key, verdict in record.items():
                    if verdict.criterion and key not in out:
                        out[key] = verdict.criterion
        rules = self.rules()
        if rules:
            for key, text in verdict_rules.criteria(rules).items():
                out.setdefault(key, text)
        return out

    def judge(self) -> Judge:
        """What the claims are judged with: the verdicts' rules, the pre-declared family rule and
        the calibration."""
        rule = parameters(FamilyRule, self.manifest.claims) or FamilyRule()
        return Judge(self.rules(), rule, self.reader.calibration(self.manifest))

    def rules(self) -> verdict_rules.Rules | None:
        """The verdicts' parameters, where this manifest has them all."""
        arcs = parameters(ArcParams, self.manifest.arcs)
        featurevis = self.manifest.featurevis or {}
        if not (self.families and self.rotation and self.verdicts and self.exemplars and arcs
                and "neuron_margin" in featurevis):
            return None
        return verdict_rules.Rules(self.families, self.rotation, self.verdicts, arcs,
                                   (self.exemplars.moderate_low, self.exemplars.moderate_high),
                                   featurevis["neuron_margin"])


def site_notes(site: Site) -> dict:
    """What every page of the site says about the atlas (generate/site/render.py hands it to the theme):
    a banner where the examples come from the few photos shipped in packages, not from a dataset."""
    packaged = [site.dataset(model) for model in site.manifest.models if site.dataset(model).packaged]
    banner = None
    if packaged:
        count = packaged[0].images
        banner = {"title": f"Only {count} photos.",
                  "text": f"The dataset examples of this atlas come from the {count} photos shipped with scikit-image "
                          f"and matplotlib (no image folder was found), not from a dataset: each unit's strongest "
                          f"examples are the best of these {count} photos. Point the atlas at real images with "
                          f"--dataset DIR."}
    return {"banner": banner}
