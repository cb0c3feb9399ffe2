"""The nps-segmenter component: the WIT world `segmenter-plugin` of `cohort:plugin@0.1.0`, in Python.

componentize-py imports this module when it builds the component and generates `wit_world` from the WIT file.
This file only converts between the host's types and plain Python values; the decisions are in `nps.py`.
"""

from typing import List, Optional

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import segmenter
from wit_world.imports import host, types

import nps


def scalar(value: types.Value) -> nps.Scalar:
    """A WIT `value` as the plain Python value it holds."""
    return value.value


def answer_of(profile: segmenter.Profile) -> Optional[nps.Scalar]:
    """The value of the profile's `nps_score` attribute, or None when the host sent none."""
    for attribute in profile.attributes:
        if attribute.name == nps.ATTRIBUTE:
            return scalar(attribute.value)
    return None


class NpsRun(segmenter.Run):
    """One run. Each profile's group depends on that profile alone, so `add` returns every assignment at once and
    nothing is left for `drain`."""

    def __init__(self) -> None:
        self.assigned = 0
        self.unanswered = 0
        self.invalid = 0

    def add(self, profiles: List[segmenter.Profile]) -> List[segmenter.Assignment]:
        out = []
        for profile in profiles:
            value = answer_of(profile)
            membership = nps.assign(value)
            if membership is None:
                if value is None:
                    self.unanswered += 1
                else:
                    self.invalid += 1
                continue
            self.assigned += 1
            out.append(
                segmenter.Assignment(
                    token=profile.token,
                    segment=membership.segment,
                    score=membership.score,
                    reasons=membership.reasons,
                )
            )
        return out

    def finish(self) -> None:
        # Counts only: never a value or a token.
        host.log(
            types.LogLevel.INFO,
            f"{self.assigned} profiles assigned, {self.unanswered} without {nps.ATTRIBUTE}, "
            f"{self.invalid} whose {nps.ATTRIBUTE} is not a whole number from 0 to 10",
        )

    def drain(self, max: int) -> List[segmenter.Assignment]:
        return []


class Segmenter(exports.Segmenter):
    """The exported `segmenter` interface."""

    def segments(self, config: str) -> List[segmenter.SegmentDef]:
        problem = nps.config_problem(config)
        if problem is not None:
            raise Err(problem)
        return [segmenter.SegmentDef(id=id, description=text) for id, text in nps.SEGMENTS]

    def start(self, config: str, context: segmenter.RunContext) -> segmenter.Run:
        problem = nps.config_problem(config)
        if problem is not None:
            raise Err(problem)
        return NpsRun()
