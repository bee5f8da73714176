"""Everything numeric that needs no network: pure functions on typed records, no torch.

stimuli (the battery), families (labels), classical (image measurements), joint_tuning
(rotation measures), verdicts (Arguments 1-4), census and survey (counts per layer), claims (the
report), matching (units across models). Each rule keeps its human-readable criterion beside it.
"""
