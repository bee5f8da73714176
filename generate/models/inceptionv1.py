"""InceptionV1 (GoogLeNet as in lucid, the model of "Zoom In") through lucent's model zoo.

Weights come from `weights:` in the model's config entry, else `inception5h.pth` in torch's hub
cache (where lucent puts it), else the project's download cache, fetched there once from the
URL lucent uses and checked against its published git blob id (generate/sources). Offline and
without them the user gets one line saying where to put them, never random weights silently.
Whatever file is loaded, its blob id is checked again: the atlas records whether the weights are
the published ones, and compares its units with Distill's lists only when they are.
"""

from __future__ import annotations

from pathlib import Path

from generate import sources
from generate.errors import AtlasError
from generate.models import register_model
from generate.models.base import Built, Preprocess, hub_checkpoint, load_state_dict
from generate.models.generic import module_paths
from generate.sources.ledger import digests

SOURCE = sources.SOURCES["inceptionv1"]
# lucid's InceptionV1 takes x*255 - 117.
PREPROCESS = Preprocess((117 / 255,) * 3, (1 / 255,) * 3)


def weights_file(configured: str | None) -> Path:
    """The configured file, else lucent's copy in torch's hub cache, else ours (fetched once)."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise AtlasError(f"InceptionV1 weights not found at {path}: download {SOURCE.url} to that path, "
                             f"or remove 'weights:' to have it fetched into the cache")
        return path
    hub = hub_checkpoint(SOURCE.file)
    return hub if hub.is_file() else sources.fetch(SOURCE.name)


def is_published(path: Path) -> bool:
    """Whether a weights file is byte for byte the published inception5h.pth: its git blob id (SHA-1
    of "blob SIZE\\0" and the bytes) equals the one the publisher's repository gives. Random, retrained
    or altered weights cannot pass, whatever their accuracy."""
    algorithm, published = sources.lookup(SOURCE.name).published_hash.split(":")
    return digests(path, {algorithm})[algorithm] == published


@register_model("inceptionv1")
def build(arg: str, pretrained: bool, context) -> Built:
    from lucent.modelzoo.inceptionv1.InceptionV1 import InceptionV1

    module = InceptionV1(pretrained=False)
    if not pretrained:
        return Built(module, PREPROCESS, module_paths)  # a random init: load_model records it as unverified
    path = weights_file(context.weights)
    load_state_dict(module, path)
    return Built(module, PREPROCESS, module_paths, weights_verified=is_published(path))
