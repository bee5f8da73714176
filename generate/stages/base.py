"""What every stage shares: the targets it runs on, and how its store key follows from its
declarations.

A stage declares its `name`, `version`, the `inputs` it reads (other stages, possibly of another
target such as the random-init control) and its `parameters`. Its store folder is named by the
hash of exactly those, computed in one place (`Context.store`): a changed parameter, version or
upstream result gives a new folder, so an old result is never reused by mistake, and no stage
ever builds a key by hand.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from generate.config import AtlasConfig, ModelEntry
from generate.data import ImageSet
from generate.models import LoadedModel
from generate.stages.executor import Executor
from generate.store import StageStore


@dataclass
class Target:
    """One model of the atlas, the units to compute for it, and its images."""

    entry: ModelEntry
    model: LoadedModel
    layer_units: dict[str, list[int]]  # in execution order
    images: ImageSet
    control: "Target | None" = None  # random-init copy: every stage but the atlas's own feature vis
    pages: bool = True  # False for a control: no pages, so no pictures for them
    # For a control: the trained target whose families and predictions it is measured at.
    reference: "Target | None" = field(default=None, repr=False)

    @property
    def layers(self) -> list[str]:
        return list(self.layer_units)

    @property
    def judged(self) -> dict[str, list[int]]:
        """The layers that get the whole analysis (the others, the config's `survey:`, labels only)."""
        return {layer: units for layer, units in self.layer_units.items() if layer not in self.entry.survey}


@dataclass(frozen=True)
class Input:
    """An upstream result a stage reads: `stage` computed for `target` (None: the same target)."""

    stage: "Stage"
    target: Target | None = None


class Stage(ABC):
    """A stage: declarations (name, version, inputs, parameters) and `run`."""

    name: ClassVar[str]
    version: ClassVar[int]

    def parameters(self, ctx: "Context", target: Target, layer: str) -> dict[str, Any]:
        """Everything besides the inputs that determines the result."""
        return {}

    def inputs(self, ctx: "Context", target: Target, layer: str) -> list[Input]:
        return []

    @abstractmethod
    def run(self, ctx: "Context", target: Target) -> None:
        """Compute and store what is missing for `target`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@dataclass
class Context:
    """A run: the config, the store, and the store folder of any (stage, target, layer)."""

    config: AtlasConfig
    store_root: Path
    progress: bool = True
    executor: Executor = field(default_factory=Executor)
    shard: tuple[int, int] | None = None  # (k, n): compute only the k-th of n parts of the units
    _keys: dict = field(default_factory=dict, repr=False)
    _owned: dict = field(default_factory=dict, repr=False)

    def assign_shards(self, targets: list[Target]) -> None:
        """Deal every (model, layer, unit) of the plan round-robin to the n shards, in plan order:
        deterministic, balanced over layers, each unit in exactly one shard (a control's units in
        the shard of the trained units they are compared with)."""
        if self.shard is None:
            return
        k, n = self.shard
        index = 0
        for target in targets:
            for layer, units in target.layer_units.items():
                mine = set()
                for unit in units:
                    if index % n == k:
                        mine.add(unit)
                    index += 1
                for who in (target, target.control):
                    if who is not None:
                        self._owned[(who.model.key, layer)] = mine

    def owned(self, target: Target, layer: str, units: list[int]) -> list[int]:
        """The units of this shard (all of them without sharding)."""
        if self.shard is None:
            return units
        mine = self._owned.get((target.model.key, layer), set())
        return [u for u in units if u in mine]

    def key(self, stage: Stage, target: Target, layer: str) -> dict[str, Any]:
        """The store key of a stage's results: its declarations and its inputs' folders."""
        memo = (id(stage), id(target), layer)
        if memo not in self._keys:
            upstream = sorted(f"{self.store(i.stage, i.target or target, layer).dir.name}"
                              f"@{(i.target or target).model.key}" for i in stage.inputs(self, target, layer))
            key = {"stage": stage.name, "version": stage.version,
                   **stage.parameters(self, target, layer), "inputs": upstream}
            # the memo holds the stage and target too: while it lives their ids cannot be reused
            # by other (short-lived) stage objects, which would otherwise read this key
            self._keys[memo] = (stage, target, key)
        return self._keys[memo][2]

    def store(self, stage: Stage, target: Target, layer: str) -> StageStore:
        return StageStore(self.store_root, target.model.key, layer, stage.name, self.key(stage, target, layer))

    def stores(self, stage: Stage, target: Target, layers: list[str] | None = None) -> dict[str, StageStore]:
        return {layer: self.store(stage, target, layer) for layer in (layers or target.layers)}

    def missing(self, stage: Stage, target: Target, layer_units: dict[str, list[int]] | None = None
                ) -> dict[str, list[int]]:
        """Per layer, the units whose results are not stored yet (layers with none left out)."""
        wanted = target.layer_units if layer_units is None else layer_units
        out = {layer: self.store(stage, target, layer).missing(self.owned(target, layer, units))
               for layer, units in wanted.items()}
        return {layer: units for layer, units in out.items() if units}
