"""What the engine can do, asked of the engine itself, so the estimators switch a feature on
the moment the engine has it."""

from __future__ import annotations

import inspect
from functools import cache

from engine import Trainer


@cache
def trainer_takes(argument: str) -> bool:
    """Whether ``Trainer(...)`` accepts this keyword (``sample_weight``, ...)."""
    return argument in inspect.signature(Trainer.__init__).parameters


def engine_can_continue() -> bool:
    """Whether the engine can continue a fit on new data with its optimizer state."""
    return False
