"""Receptive-field stage: each layer's receptive field, measured once from input gradients."""

from __future__ import annotations

from generate.models.receptive_field import compute_receptive_field
from generate.records import ReceptiveField
from generate.stages.base import Context, Stage, Target


class ReceptiveFieldStage(Stage):
    name, version = "rf", 2

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return {"input_size": target.model.preprocess.input_size}

    def run(self, ctx: Context, target: Target) -> None:
        for layer in target.layers:
            store = ctx.store(self, target, layer)
            if not store.has("layer"):
                store.save("layer", compute_receptive_field(target.model, layer))


RECEPTIVE_FIELDS = ReceptiveFieldStage()


def receptive_fields(ctx: Context, target: Target) -> dict[str, ReceptiveField]:
    """Every layer's field, computed first where missing."""
    RECEPTIVE_FIELDS.run(ctx, target)
    return {layer: store.load_record("layer", ReceptiveField)
            for layer, store in ctx.stores(RECEPTIVE_FIELDS, target).items()}
