"""Nothing private on published pages: the folders of the machine that built an atlas (its datasets,
weights files, store, config) never reach the site. A path outside the repository is shown by its last
component; a dataset is named by its name, image count and fingerprint.

Applied once, to the manifest, before any view reads it (generate/site/render.py), so that no page
and no JSON twin can print what the manifest recorded about the build machine.
"""

from __future__ import annotations

import dataclasses
import re

from generate.records import DatasetInfo, Manifest, ModelManifest

ELIDED = "…/"  # marks where a path was shortened
# An absolute path (POSIX, home-relative or Windows) standing on its own: after the start, a space, a
# quote, a bracket, '=' or ',' (so never the path of a URL, which follows ':' or '/').
_PATH = re.compile(r"""(?<![^\s'"(=,\[])(?:~|[A-Za-z]:)?[/\\][^\s'"(),\[\]]*""")


def _last(path: str) -> str:
    parts = [part for part in re.split(r"[/\\]+", path) if part and part != "~"]
    return parts[-1] if parts else ""


def public(text: str, marker: str = ELIDED) -> str:
    """`text` with every absolute path replaced by its last component (after `marker`)."""
    def shorten(match: re.Match) -> str:
        last = _last(match.group(0))
        return marker + last if last else match.group(0)

    return _PATH.sub(shorten, text) if text else text


def _dataset(info: DatasetInfo | None) -> DatasetInfo | None:
    return dataclasses.replace(info, name=public(info.name, "")) if info else None


def _model(model: ModelManifest | None) -> ModelManifest | None:
    if model is None:
        return None
    return dataclasses.replace(model, dataset=_dataset(model.dataset), control=_model(model.control))


def public_manifest(manifest: Manifest) -> Manifest:
    """A copy of the manifest fit to publish: datasets by name, no folder of the build machine in
    the config, its file name or the command-line overrides."""
    return dataclasses.replace(
        manifest, dataset=_dataset(manifest.dataset), config=public(manifest.config, ""),
        config_text=public(manifest.config_text), models=[_model(m) for m in manifest.models],
        overrides={key: public(value) for key, value in manifest.overrides.items()},
        variations=[dataclasses.replace(v, dataset=public(v.dataset, "") if v.dataset else v.dataset,
                                        model=_model(v.model)) for v in manifest.variations])
