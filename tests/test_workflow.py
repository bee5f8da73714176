"""The Pages workflow (.github/workflows/pages.yml): actionlint where it is installed (`make lint`),
and, everywhere, its plan checked against the project itself: the shards cover 1..N, every command
it runs parses with the real command line, the configs it can publish load, and what the shard
jobs upload is what the publish job downloads."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generate.cli import build_parser
from generate.config import load_config

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
PUBLISHED = ROOT / "configs" / "published.yaml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def _steps(job: dict) -> list[dict]:
    return job["steps"]


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in _steps(job))


def _uses(job: dict, action: str) -> list[dict]:
    return [step for step in _steps(job) if step.get("uses", "").split("@")[0] == action]


def _actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"  # where `make lint` installs it
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def test_actionlint_finds_nothing():
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (`make lint` installs requirements-lint.txt)")
    try:
        done = subprocess.run([binary, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    except OSError as exc:
        pytest.skip(f"actionlint cannot run here: {exc}")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_shards_cover_one_to_n(workflow):
    shards = workflow["env"]["SHARDS"]
    assert workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert workflow["jobs"]["shard"]["strategy"]["fail-fast"] is False  # one shard's failure keeps the others' work
    assert '--shard "${{ matrix.shard }}/$SHARDS"' in _runs(workflow["jobs"]["shard"])


def test_a_push_publishes_the_replication_atlas_and_every_choice_loads(workflow):
    assert _triggers(workflow)["push"]["branches"] == ["main"]
    assert workflow["env"]["CONFIG"].endswith("|| 'configs/published.yaml' }}")
    choices = _triggers(workflow)["workflow_dispatch"]["inputs"]["config"]["options"]
    assert "configs/published.yaml" in choices
    for choice in choices:
        assert load_config(ROOT / choice).models


def _commands(workflow: dict) -> list[list[str]]:
    """Every `python -m generate ...` the workflow runs, with its variables given sample values."""
    values = {"${{ matrix.shard }}": "3", "$SHARDS": str(workflow["env"]["SHARDS"]), "$CONFIG": "configs/published.yaml",
              "${{ steps.pages.outputs.base_url }}": "https://owner.github.io/repo", "$delta": "shards/shard-1/"}
    found = []
    for job in workflow["jobs"].values():
        for line in _runs(job).splitlines():
            if "-m generate" not in line:
                continue
            for name, value in values.items():
                line = line.replace(name, value)
            assert "$" not in line, f"a variable the test does not know: {line}"
            found.append(shlex.split(line.split("-m generate", 1)[1]))
    return found


def test_every_command_parses_with_the_real_command_line(workflow):
    commands = _commands(workflow)
    assert {words[0] for words in commands} == {"atlas", "merge"}
    parser = build_parser()
    for words in commands:
        args = parser.parse_args(words)  # exits (fails the test) on an unknown option
        if words[0] == "atlas" and args.shard is None:
            assert args.site_url == "https://owner.github.io/repo/"  # the publish job builds the site


def test_what_the_shards_upload_the_publish_job_merges(workflow):
    shard, publish = workflow["jobs"]["shard"], workflow["jobs"]["publish"]
    (upload,) = _uses(shard, "actions/upload-artifact")
    (download,) = _uses(publish, "actions/download-artifact")
    assert upload["with"]["name"] == "shard-${{ matrix.shard }}"
    assert re.fullmatch(download["with"]["pattern"].replace("*", ".*"), "shard-7")
    assert upload["if"] == "always()"  # a shard that fails hands on what it finished
    assert publish["needs"] == "shard" and workflow["jobs"]["deploy"]["needs"] == "publish"
    assert download["with"]["path"] + "/*/" in _runs(publish)


def test_the_store_is_cached_by_config_and_code_and_saved_even_when_a_run_fails(workflow):
    for name in ("shard", "publish"):
        job = workflow["jobs"][name]
        keys = next(step["run"] for step in _steps(job) if step.get("id") == "keys")
        assert "hashFiles('configs/**', 'generate/**'" in keys and "$(basename \"$CONFIG\" .yaml)" in keys
        (restore,) = _uses(job, "actions/cache/restore")
        assert restore["with"]["path"] == "store"
    saves = _uses(workflow["jobs"]["publish"], "actions/cache/save")
    assert any("failure()" in save["if"] and "partial" in save["with"]["key"] for save in saves)
    assert not _uses(workflow["jobs"]["shard"], "actions/cache/save")  # only the merged store is kept


def test_make_published_builds_the_published_config():
    if shutil.which("make") is None:
        pytest.skip("no make")
    done = subprocess.run(["make", "-n", "published", "PY=python"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "-m generate atlas --config configs/published.yaml" in done.stdout
