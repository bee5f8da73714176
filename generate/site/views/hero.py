"""The top of a neuron page: its feature visualizations large (channel and neuron objective side by
side, negative and diversity when the run made them), its strongest dataset examples beside them,
and badges for its family and its verdicts."""

from __future__ import annotations

from generate.analysis.text import degrees, number
from generate.analysis.verdicts import ARGUMENTS
from generate.records import FamilyLabel, UnitVerdicts
from generate.site import urls

HERO_EXAMPLES = 6  # strongest dataset examples beside the visualizations


def _family_badge(family: FamilyLabel | None, page: urls.Links) -> dict | None:
    if not family:
        return None
    orientation = family.preferred.get("orientation") if family.preferred else None
    text = family.label + (f" · {degrees(orientation)}" if orientation is not None else "")
    return {"text": text, "href": page.html_link(urls.family(family.label)),
            "title": f"family {family.label}: score {number(family.score)} σ (runner-up {family.runner_up} "
                     f"{number(family.runner_up_score)} σ)"}


def _verdict_badges(verdicts: UnitVerdicts | None) -> list[dict]:
    """One badge per argument with a verdict: ✓ passed, ✗ failed, – not decidable."""
    badges = []
    for key, number_, title, unit in ARGUMENTS:
        verdict = verdicts.get(key) if verdicts else None
        if verdict is None:
            continue
        state = "none" if verdict.passed is None else "pass" if verdict.passed else "fail"
        mark = {"none": "–", "pass": "✓", "fail": "✗"}[state]
        score = f"{number(verdict.score)}{' ' + unit if unit else ''}" if verdict.score is not None else "n/a"
        control = "" if verdict.control_passed is None else \
            f"; random-init control {'passed' if verdict.control_passed else 'failed'}"
        badges.append({"text": f"A{number_} {mark}", "state": state,
                       "title": f"Argument {number_}, {title}: {mark} (score {score}){control}. {verdict.reason}"})
    return badges


def hero(fv: dict | None, neuron_href: str | None, examples: dict | None, family: FamilyLabel | None,
         verdicts: UnitVerdicts | None, page: urls.Links) -> dict | None:
    """What the hero shows; None where the unit has neither a visualization nor examples."""
    if not fv and not neuron_href and not examples:
        return None
    return {"channel": fv["positive"] if fv else None, "neuron": neuron_href,
            "negative": fv["negative"] if fv else None, "diversity": fv["diversity"] if fv else None,
            "examples": examples["tiles"][:HERO_EXAMPLES] if examples else [],
            "family": _family_badge(family, page), "verdicts": _verdict_badges(verdicts)}
