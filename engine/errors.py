"""Errors raised by the engine: all are ``EngineError``; bad data or files are ValueErrors too."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of everything the engine raises on purpose."""


class FitCancelled(EngineError):
    """The stop check returned True; ``epoch`` is the number of epochs finished before it."""

    def __init__(self, epoch: int) -> None:
        super().__init__(f"fit cancelled after {epoch} finished epoch(s)")
        self.epoch = epoch


class DivergenceError(EngineError, ValueError):
    """The loss or a weight became NaN/inf during ``epoch`` (1-based)."""

    def __init__(self, epoch: int, what: str = "loss") -> None:
        super().__init__(
            f"training diverged in epoch {epoch}: the {what} is not finite (NaN or inf); "
            "try a lower learning_rate_init (or clip_grad_norm, or standardize=True)"
        )
        self.epoch = epoch


class ModelFormatError(EngineError, ValueError):
    """A model or checkpoint blob is malformed, inconsistent or does not match the data."""


class ParamError(ValueError):
    """A hyper-parameter that is invalid, alone or for the data at hand; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
