"""The logic of the nps-segmenter plugin, free of WebAssembly: which Net Promoter group one survey answer puts a
profile in, with a score and reasons a person can read.

The plugin's component glue (`app.py`) turns the host's values into plain Python values and calls this module, so
`python3 -m unittest` tests everything that decides a membership without building the component.
"""

import json
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

#: The attribute the survey connectors (survey-csv, typeform-responses) write the answer to "How likely are you
#: to recommend us?" into, and that the example policy lets the `analytics` purpose use.
ATTRIBUTE = "nps_score"

PROMOTER = "promoter"
PASSIVE = "passive"
DETRACTOR = "detractor"

#: Every segment the plugin emits, as (id, description); `manifest.toml` declares the same ids.
SEGMENTS: Tuple[Tuple[str, str], ...] = (
    (PROMOTER, "Answered 9 or 10 to the NPS question (would recommend us)."),
    (PASSIVE, "Answered 7 or 8 to the NPS question (satisfied but unenthusiastic)."),
    (DETRACTOR, "Answered 0 to 6 to the NPS question (would not recommend us)."),
)

#: A scalar as the host hands it over: text, a number or a boolean.
Scalar = Union[str, float, int, bool]


@dataclass(frozen=True)
class Membership:
    """One profile's group: the segment id, a score in [0, 1] and the reasons."""

    segment: str
    score: float
    reasons: List[str]


def read_answer(value: Optional[Scalar]) -> Optional[int]:
    """The NPS answer in `value` as a whole number from 0 to 10, or None when there is none.

    A number must be whole (9.0 counts as 9); text must be a whole number ("9", " 10 "), since a JSON Lines
    import may have stored the answer as text. A boolean, a fraction, a number outside 0..10 or other text is not
    an NPS answer.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 2:
            return None
        number = int(text)
    elif isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")) or value != int(value):
            return None
        number = int(value)
    else:
        return None
    return number if 0 <= number <= 10 else None


def classify(answer: int) -> Membership:
    """The group of a valid answer (0 to 10).

    The score says how clearly the answer belongs to its group: promoters score 0.5 for a 9 and 1 for a 10,
    detractors from 1/7 for a 6 up to 1 for a 0, and passives (7 or 8, the neutral middle) always 1.
    """
    if not 0 <= answer <= 10:
        raise ValueError(f"an NPS answer is 0 to 10, not {answer}")
    said = f"answered {answer} out of 10 to \"How likely are you to recommend us?\""
    if answer >= 9:
        return Membership(PROMOTER, (answer - 8) / 2, [said, "promoters answer 9 or 10"])
    if answer >= 7:
        return Membership(PASSIVE, 1.0, [said, "passives answer 7 or 8"])
    return Membership(DETRACTOR, (7 - answer) / 7, [said, "detractors answer 0 to 6"])


def assign(value: Optional[Scalar]) -> Optional[Membership]:
    """The group for the value of a profile's `nps_score` (None when the profile has none), or None when the
    value is missing or not an NPS answer: such a profile is in no segment."""
    answer = read_answer(value)
    return None if answer is None else classify(answer)


def config_problem(config: str) -> Optional[str]:
    """Why `config` (JSON text) is not a configuration of this plugin, or None when it is.

    The plugin takes no settings, so the only configuration is an empty object; the host has already checked
    that against the manifest, and this check keeps the plugin safe when run some other way.
    """
    try:
        parsed = json.loads(config)
    except ValueError as e:
        return f"config: not JSON ({e})"
    if parsed != {}:
        return "config: nps-segmenter takes no settings; its configuration is {}"
    return None
