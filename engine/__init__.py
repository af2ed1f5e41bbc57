"""mlpforge's numerical engine: dense networks over numpy (or CuPy), trained like scikit-learn."""

from engine.architecture import count_parameters
from engine.errors import DivergenceError, EngineError, FitCancelled, ModelFormatError, ParamError
from engine.fitting import fit, partial_fit
from engine.model import FittedModel, TrainingState
from engine.params import MLPParams, Task
from engine.serialization import dump_model, load_model
from engine.trainer import EpochReport, Trainer

__all__ = [
    "DivergenceError",
    "EngineError",
    "EpochReport",
    "FitCancelled",
    "FittedModel",
    "MLPParams",
    "ModelFormatError",
    "ParamError",
    "Task",
    "Trainer",
    "TrainingState",
    "count_parameters",
    "dump_model",
    "fit",
    "load_model",
    "partial_fit",
]
