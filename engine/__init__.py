"""mlpforge's numerical engine: dense networks over numpy (or CuPy), trained like scikit-learn."""

from engine.architecture import count_parameters
from engine.errors import DivergenceError, EngineError, FitCancelled, ModelFormatError
from engine.model import FittedModel
from engine.params import MLPParams, Task
from engine.trainer import EpochReport, Trainer, fit

__all__ = [
    "DivergenceError",
    "EngineError",
    "EpochReport",
    "FitCancelled",
    "FittedModel",
    "MLPParams",
    "ModelFormatError",
    "Task",
    "Trainer",
    "count_parameters",
    "fit",
]
