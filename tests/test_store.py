import pytest

from generate.store import TMP_PREFIX, StageStore, atomic_write, clean_temporaries, params_hash
from generate.store.integrity import read_sealed


def test_params_hash_is_order_independent_and_sensitive():
    assert params_hash({"a": 1, "b": 2}) == params_hash({"b": 2, "a": 1})
    assert params_hash({"a": 1}) != params_hash({"a": 2})


def test_save_writes_files_then_json_and_missing_tracks_units(tmp_path):
    store = StageStore(tmp_path, "model-abc", "layer", "stage", {"x": 1})
    assert store.missing([0, 1, 2]) == [0, 1, 2]
    store.save(1, {"unit": 1}, {"1.png": b"png"})
    assert store.missing([0, 1, 2]) == [0, 2]
    assert store.load(1) == {"unit": 1} and store.file("1.png").read_bytes() == b"png"
    assert read_sealed(store.dir / "params.json") == {"x": 1}
    other = StageStore(tmp_path, "model-abc", "layer", "stage", {"x": 2})
    assert other.missing([1]) == [1], "different params must not reuse results"


class Boom(Exception):
    """A failure a test raises in the middle of a write."""


def test_a_failed_save_leaves_no_unit_and_no_partial_file(tmp_path, monkeypatch):
    store = StageStore(tmp_path, "m", "l", "s", {})
    real_replace = __import__("os").replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if str(dst).endswith("2.b.png"):
            raise Boom
        real_replace(src, dst)

    monkeypatch.setattr("generate.store.stage_store.os.replace", failing_replace)
    with pytest.raises(Boom):
        store.save(2, {"unit": 2}, {"2.a.png": b"a", "2.b.png": b"b"})
    assert not store.has(2)
    assert not list(store.dir.glob(f"{TMP_PREFIX}*"))
    assert not (store.dir / "2.b.png").exists()


def test_clean_temporaries(tmp_path):
    atomic_write(tmp_path / "x" / "ok.json", b"{}")
    (tmp_path / "x" / f"{TMP_PREFIX}abc").write_bytes(b"half")
    assert clean_temporaries(tmp_path) == 1
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["ok.json"]


class _Seeded:
    """A stage built afresh on every call, as the verdicts' per-seed feature visualizations are."""

    name, version = "seeded", 1

    def __init__(self, seed: int):
        self.seed = seed

    def parameters(self, ctx, target, layer):
        return {"seed": self.seed}

    def inputs(self, ctx, target, layer):
        return []


def test_short_lived_stage_objects_never_share_a_store_key(tmp_path):
    """Context memoises keys by object identity: an object built, used and dropped must not hand
    its key to the next one that CPython places at the same address (this once made the verdicts
    read seed 0's visualization as seed 1's)."""
    from types import SimpleNamespace

    from generate.stages.base import Context

    ctx = Context(config=None, store_root=tmp_path)
    target = SimpleNamespace(model=SimpleNamespace(key="m"))
    seeds = [ctx.key(_Seeded(seed), target, "layer")["seed"] for seed in range(50)]
    assert seeds == list(range(50))
