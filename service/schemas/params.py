"""A job's ``params`` as the API documents them: the engine's ``MLPParams``, described here.

The engine validates the values (a table of constraints raising ``ParamError(field, ...)``); what
each parameter means for someone reading /docs is the API's concern, so the descriptions live
here and are written into ``MLPParams``' JSON schema.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from engine import MLPParams

PARAM_DESCRIPTIONS: dict[str, str] = {
    "hidden_layer_sizes": "Units of each hidden layer, input side first (scikit-learn).",
    "activation": "Hidden-layer activation: identity, logistic (alias sigmoid), tanh, relu, "
    "leaky_relu (slope 0.01), elu (alpha 1), gelu (tanh approximation).",
    "solver": "Optimizer: lbfgs, sgd, adam (scikit-learn), rmsprop, adagrad, adamw. lbfgs "
    "trains on the whole data set per iteration (one reported epoch per L-BFGS iteration) and "
    "ignores batch_size, the learning rate and early_stopping, as scikit-learn.",
    "alpha": "L2 penalty as in scikit-learn: 0.5*alpha*||W||^2/batch_size added to each batch "
    "loss (weights only, not biases).",
    "batch_size": "Mini-batch size; 'auto' = min(200, n_samples); clipped to n_samples.",
    "learning_rate": "Learning-rate schedule, for every stochastic solver: constant; "
    "invscaling (lr/(t+1)^power_t, t = samples seen); adaptive (divide by 5 instead of "
    "stopping); cosine (to 0 at max_iter); plateau (x0.1 after max(1, n_iter_no_change//2) "
    "epochs without improvement).",
    "learning_rate_init": "Initial learning rate (step size).",
    "power_t": "Exponent of the invscaling schedule.",
    "max_iter": "Maximum number of epochs (lbfgs: iterations).",
    "shuffle": "Shuffle the training samples every epoch.",
    "random_state": "Seed of initialization, shuffling, validation split and dropout; same "
    "seed and data, same weights bit for bit.",
    "tol": "Improvement of the loss (or validation score) needed to reset the patience; for "
    "lbfgs the gradient tolerance (gtol).",
    "momentum": "Momentum of sgd, in [0, 1].",
    "nesterovs_momentum": "Use Nesterov's momentum with sgd.",
    "early_stopping": "Hold out validation_fraction of the training data and stop when its "
    "score (accuracy or R^2, weighted by the sample weights) stops improving.",
    "validation_fraction": "Share of the training data held out for early stopping, in [0, 1).",
    "beta_1": "Adam/AdamW first-moment decay, in [0, 1).",
    "beta_2": "Adam/AdamW second-moment decay, in [0, 1).",
    "epsilon": "Numerical stabilizer of adam, adamw, rmsprop and adagrad.",
    "n_iter_no_change": "Epochs without an improvement of at least tol before stopping; "
    '"inf" never stops on patience.',
    "max_fun": "lbfgs only: maximum number of loss evaluations.",
    "rho": "RMSprop decay of the squared-gradient average, in [0, 1).",
    "weight_decay": "Decoupled weight decay of adamw (weights only).",
    "l1": "L1 penalty: l1*||W||_1/batch_size added to each batch loss (weights only).",
    "dropout": "Dropout rate of the hidden layers during training (inverted), in [0, 1); not "
    "with lbfgs.",
    "clip_grad_norm": "Rescale the whole gradient to at most this L2 norm (null: no clipping).",
    "standardize": "Standardize inputs (and regression targets, except with loss poisson) with "
    "statistics of the training split; predictions take raw inputs.",
    "loss": "log_loss for classification; squared_error (default), absolute_error, huber "
    "(delta 1 on standardized targets) or poisson (log link, targets >= 0) for regression.",
    "restore_best_weights": "Keep the weights of the best epoch (validation score with early "
    "stopping, else training loss); default: the value of early_stopping.",
    "dtype": "Training precision, float32 or float64; default float32 (float64 with lbfgs, as "
    "scikit-learn's L-BFGS). Regression predictions come in this precision.",
}


class _Described:
    """Writes ``PARAM_DESCRIPTIONS`` into the JSON schema of ``MLPParams``."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target: dict[str, Any] = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            if name in PARAM_DESCRIPTIONS:
                prop["description"] = PARAM_DESCRIPTIONS[name]
        return schema


Params = Annotated[MLPParams, _Described()]
