"""Command line: `python -m generate COMMAND --help` explains each command."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from generate.allocator import keep_freed_memory
from generate.cli.commands import RUN
from generate.cli.parsers import PARSERS, RAW
from generate.errors import AtlasError

DESCRIPTION = """\
Neuron Atlas: precompute per-neuron evidence (feature visualizations, dataset examples,
synthetic-stimulus tuning, rotation, verdicts) for a CNN and render it as a MkDocs Material site.

Typical use:
  python -m generate atlas                      # the default atlas, computed and built
  python -m generate atlas --config my.yaml     # your own models, layers, units, dataset
  python -m generate layers --model efficientnet_lite0
  python -m generate train                      # train the small CIFAR-10 CNNs (configs/cifar.yaml)
  python -m generate data list                  # named datasets and weights: what is cached
  python -m generate atlas --executor ray       # spread the work over a Ray cluster
Results are cached in the store: a rerun recomputes only what changed.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generate", description=DESCRIPTION, formatter_class=RAW)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in PARSERS:
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # efficientnet_lite_pytorch / kornia call torch.jit.script at import; the deprecation is theirs.
    warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
    if getattr(args, "offline", False):
        from generate.sources import OFFLINE_ENV

        os.environ[OFFLINE_ENV] = "1"  # read wherever a download would start, in this process and its children
    if getattr(args, "device", None) == "cpu":
        # lucent places tensors on CUDA whenever it sees one; hide it before torch is imported.
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    keep_freed_memory()
    try:
        return RUN[args.command](args) or 0
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished units are kept in the store; rerun to resume", file=sys.stderr)
        return 130
