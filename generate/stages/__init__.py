"""The stages: each maps (model, units, data, parameters) to stored results.

One file per stage (fields, dataset, featuremaps, synthetic, rotation, featurevis, verdicts,
matching); base.py holds what they share, including the one place store keys are computed;
runner.py plans and runs them; manifest.py records where their results lie.
"""
