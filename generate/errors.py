"""User-facing errors: printed as one line on stderr, never as a traceback."""


class AtlasError(Exception):
    """Bad input (config, model, layer, unit, dataset, weights). The message is the whole story."""
