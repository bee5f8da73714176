"""The named sources: where each file is published, how it is checked, and what the atlas reads.

A source without a published hash is trusted on first use: its SHA-256 is recorded then
(generate/sources/ledger.py) and every later download must match it.
"""

from __future__ import annotations

from dataclasses import dataclass

from generate.errors import AtlasError

DATASET_HINT = ", or pass --dataset DIR (any folder of images)"


@dataclass(frozen=True)
class Source:
    """One downloadable file and how it becomes a folder in the cache."""

    name: str  # what users type: `dataset: NAME`, `python -m generate data fetch NAME`
    title: str  # what it is, for messages and `data list`
    url: str
    file: str  # the downloaded file's name
    unpack: str  # "zip", "tar", "cifar-binary" (records -> PNG folders) or "file" (kept as it is)
    reads: str = ""  # the path inside the unpacked folder that the atlas uses ("": the folder itself)
    published_hash: str | None = None  # "sha256:HEX", "md5:HEX" or "gitblob:HEX" (git's blob id)
    manual: str = DATASET_HINT  # how else to provide it, ending the offline message
    is_dataset: bool = True


SOURCES: dict[str, Source] = {source.name: source for source in (
    Source("imagenet-sample", "ImageNet sample (1,000 photos, one per class)",
           "https://codeload.github.com/EliSchwartz/imagenet-sample-images/zip/refs/heads/master",
           "imagenet-sample-images-master.zip", "zip", reads="imagenet-sample-images-master"),
    Source("imagenette", "Imagenette, 320 px (fast.ai's 10-class ImageNet subset; its 3,925 validation photos)",
           "https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-320.tgz",
           "imagenette2-320.tgz", "tar", reads="imagenette2-320/val"),
    Source("coco-val2017", "COCO val2017 (5,000 natural photos)",
           "http://images.cocodataset.org/zips/val2017.zip", "val2017.zip", "zip", reads="val2017",
           published_hash="sha256:4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05"),
    Source("cifar10", "CIFAR-10 (32x32 photos as PNG; its 10,000 test images, training split beside them)",
           "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "cifar-10-binary.tar.gz",
           "cifar-binary", reads="test", published_hash="md5:c32a1d4ab5d03f1284b67883e8d87530"),
    Source("inceptionv1", "InceptionV1 weights",
           "https://github.com/ProGamerGov/pytorch-old-tensorflow-models/raw/master/inception5h.pth",
           "inception5h.pth", "file", reads="inception5h.pth",
           # git's blob id of the file in that repository (commit f8187b60), the one hash it publishes
           published_hash="gitblob:119f77db85c8352960933e025312b507d9a96ed7",
           manual=", or set 'weights:' for this model in the config (or use inceptionv1@random:SEED for "
                  "the random-init control)",
           is_dataset=False),
)}

DATASETS = tuple(name for name, source in SOURCES.items() if source.is_dataset)


def lookup(name: str) -> Source:
    if name not in SOURCES:
        raise AtlasError(f"unknown source '{name}'; valid: {', '.join(SOURCES)}")
    return SOURCES[name]
