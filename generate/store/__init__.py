"""The on-disk results store and the manifest that says where every result of an atlas lies."""

from generate.store.stage_store import TMP_PREFIX, StageStore, atomic_write, clean_temporaries, params_hash

__all__ = ["TMP_PREFIX", "StageStore", "atomic_write", "clean_temporaries", "params_hash"]
