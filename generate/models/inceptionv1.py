"""InceptionV1 (GoogLeNet as in lucid, the model of "Zoom In") through lucent's model zoo.

Weights come from `weights:` in the model's config entry or `inception5h.pth` in torch's hub
cache; without them the user gets one line saying where to download them, never random
weights silently.
"""

from __future__ import annotations

from pathlib import Path

from generate.errors import AtlasError
from generate.models import register_model
from generate.models.base import Built, Preprocess, hub_checkpoint, load_state_dict
from generate.models.generic import module_paths

URL = "https://github.com/ProGamerGov/pytorch-old-tensorflow-models/raw/master/inception5h.pth"
FILE = "inception5h.pth"
# lucid's InceptionV1 takes x*255 - 117.
PREPROCESS = Preprocess((117 / 255,) * 3, (1 / 255,) * 3)


@register_model("inceptionv1")
def build(arg: str, pretrained: bool, context) -> Built:
    from lucent.modelzoo.inceptionv1.InceptionV1 import InceptionV1

    module = InceptionV1(pretrained=False)
    if pretrained:
        path = Path(context.weights) if context.weights else hub_checkpoint(FILE)
        if not path.is_file():
            raise AtlasError(
                f"InceptionV1 weights not found at {path}: download {URL} "
                f"to that path, or set 'weights:' for this model in the config "
                f"(or use inceptionv1@random:SEED for the random-init control)"
            )
        load_state_dict(module, path)
    return Built(module, PREPROCESS, module_paths)
