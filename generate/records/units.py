"""Units and what locates them: a unit's reference (which builds its URLs), receptive fields, layers."""

from __future__ import annotations

import math
from dataclasses import dataclass

from generate.records.base import Record



@dataclass(frozen=True)
class UnitRef(Record):
    """One unit of the atlas. Every URL of a unit is built here (paths from the site root)."""

    model: str  # the model's slug (URL-safe name)
    layer: str
    unit: int

    @property
    def layer_dir(self) -> str:
        return f"{self.model}/{self.layer}"

    @property
    def page_source(self) -> str:
        """The Markdown source of the neuron page (what MkDocs links resolve)."""
        return f"{self.layer_dir}/{self.unit}.md"

    @property
    def page_url(self) -> str:
        """The published URL of the neuron page (use_directory_urls)."""
        return f"{self.layer_dir}/{self.unit}/"

    @property
    def json_url(self) -> str:
        return f"{self.layer_dir}/{self.unit}.json"

    @property
    def thumb_url(self) -> str:
        return f"{self.layer_dir}/img/{self.unit}.thumb.webp"

    def image_url(self, name: str) -> str:
        """A picture of this unit copied into the site (feature visualization, exemplar crop...)."""
        return f"{self.layer_dir}/img/{name}"


@dataclass(frozen=True)
class ReceptiveField(Record):
    size: int  # side of the (square-bounded) receptive field in pixels; may exceed the input
    stride: float  # input pixels per feature-map step
    offset_y: float  # centre of the field of position (0, 0), in input pixels
    offset_x: float
    input_size: int
    effective_size: int = 0  # the centred square holding most of the input-gradient mass (0: not measured)

    def centre(self, y: int, x: int) -> tuple[float, float]:
        return self.offset_y + y * self.stride, self.offset_x + x * self.stride

    def box(self, y: int, x: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of the field of position (y, x); may extend past the image."""
        cy, cx = self.centre(y, x)
        half = self.size / 2
        return (round(cy - half), round(cx - half), round(cy + half), round(cx + half))

    def effective_box(self, y: int, x: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) of the effective field of position (y, x): what a reader
        should see of an exemplar (the theoretical field of a deep unit is mostly dead margin)."""
        cy, cx = self.centre(y, x)
        half = (self.effective_size or self.size) / 2
        return (round(cy - half), round(cx - half), round(cy + half), round(cx + half))

    def window(self, position: tuple[int, int], extra: int = 0) -> tuple[int, int, int, int] | None:
        """A stride-aligned square of input pixels around `position`'s field, and where the
        position sits in the window's feature map: (top, left, side, index). Inside it the network
        computes exactly what it computes on the whole image for that position and `extra` more on
        each side (their fields lie inside, away from the window's borders). None when it would
        leave the image: then the whole image is needed."""
        stride = int(round(self.stride))
        margin = math.ceil(self.size / (2 * stride)) + 1 + extra  # feature positions on each side
        side = 2 * margin * stride
        top, left = (position[0] - margin) * stride, (position[1] - margin) * stride
        size = self.input_size
        if top < 0 or left < 0 or top + side > size or left + side > size or side >= size:
            return None
        return top, left, side, margin

    @property
    def field_px(self) -> float:
        """The field's side clipped to the input: the scale stimuli are drawn at."""
        return float(min(self.size, self.input_size))


@dataclass
class LayerInfo(Record):
    """What a probe forward pass measured about a layer."""

    name: str
    channels: int
    height: int
    width: int
    order: int  # position in execution order (deeper = larger)
    description: str = ""
