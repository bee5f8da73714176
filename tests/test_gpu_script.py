"""scripts/gpu_full.sh, the GPU run of configs/full.yaml, cannot run here (no GPU): its shell parses,
it stops with one line where torch sees no CUDA device, and every command it runs is one the CLI
accepts, with a config that loads."""

import shlex
import subprocess
from pathlib import Path

import pytest

from generate.cli import build_parser
from generate.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_full.sh"


def _commands() -> list[list[str]]:
    lines = [line for line in SCRIPT.read_text().splitlines() if " -m generate " in line]
    return [shlex.split(line.split(" -m generate ", 1)[1].replace('"$@"', "")) for line in lines]


def test_the_script_parses_and_runs_the_bench_and_the_full_atlas():
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
    commands = _commands()
    assert [c[0] for c in commands] == ["bench", "bench", "atlas"]
    for argv in commands:
        args = build_parser().parse_args(argv)  # an option the CLI no longer has exits here
        assert args.device == "cuda"
        if getattr(args, "config", None):
            assert len(load_config(ROOT / args.config).models[0].layers) == 49


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a GPU is present: the script would run")
def test_without_a_gpu_it_stops_with_one_line():
    run = subprocess.run(["bash", str(SCRIPT), "--estimate-only"], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode != 0
    assert run.stderr.strip().splitlines()[-1] == "error: no CUDA device visible to torch"
