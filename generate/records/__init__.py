"""Typed records: what the stages store and the pages read.

Every stage result goes to the store as JSON through one of these dataclasses (`to_json`) and
comes back through the same class (`from_json`), so a page never digs through nested dicts and
a field that a stage did not compute is an explicit `None`, not a missing key. No torch here.
"""

from generate.records.base import Record, to_jsonable
from generate.records.calibration import Calibration, CalibrationRow, UnitTruth
from generate.records.manifest import (DatasetInfo, FeatureMapsRef, LayerManifest, Manifest, ModelManifest,
                                       VariationManifest)
from generate.records.stages import (Check, CurveTuning, DatasetRecord, Exemplar, FamilyLabel, FamilyMeasures,
                                     FeatureMapsRecord, FeatureVisImages, FeatureVisRecord, FrequencyTuning, Gate,
                                     Histogram, HueTuning, ImageMaxStats, MosaicPhoto, RotationLayer, RotationRecord,
                                     Stats, SyntheticRecord, TuningSummary, UnitVerdicts, VariantPeak, Verdict,
                                     VerdictRecord)
from generate.records.units import LayerInfo, ReceptiveField, UnitRef

__all__ = ["Calibration", "CalibrationRow", "UnitTruth", "Check", "CurveTuning", "DatasetInfo", "DatasetRecord", "Exemplar", "FamilyLabel", "FamilyMeasures",
           "FeatureMapsRecord", "FeatureMapsRef", "FeatureVisImages", "FeatureVisRecord", "FrequencyTuning", "Gate",
           "Histogram", "HueTuning", "ImageMaxStats", "LayerInfo", "LayerManifest", "Manifest", "ModelManifest",
           "MosaicPhoto", "ReceptiveField", "Record", "RotationLayer", "RotationRecord", "Stats", "SyntheticRecord",
           "TuningSummary", "UnitRef", "UnitVerdicts", "VariantPeak", "VariationManifest", "Verdict", "VerdictRecord",
           "to_jsonable"]
