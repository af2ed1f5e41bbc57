"""Learning-rate schedules, consulted at the end of every epoch.

* constant: learning_rate_init throughout.
* invscaling: learning_rate_init / (t + 1) ** power_t, t = samples seen so far (scikit-learn).
* adaptive: constant until the stopping rule fires; then divide by 5 instead of stopping, and stop
  only once the rate is <= 1e-6 (scikit-learn's rule).
* cosine: learning_rate_init * (1 + cos(pi * epoch / max_iter)) / 2.
* plateau: multiply by 0.1 after max(1, n_iter_no_change // 2) epochs without an improvement of
  tol (the quantity the stopping rule watches); the stopping rule itself is unchanged, so a long
  plateau still ends the fit.
"""

from __future__ import annotations

import math
from typing import Any

from engine.params import MLPParams

ADAPTIVE_DIVISOR = 5.0
ADAPTIVE_MIN_LR = 1e-6
PLATEAU_FACTOR = 0.1


class LearningRateSchedule:
    def __init__(self, params: MLPParams) -> None:
        self.kind = params.learning_rate
        self.init = params.learning_rate_init
        self.power_t = params.power_t
        self.max_iter = params.max_iter
        self.patience = max(1, params.n_iter_no_change // 2)
        self.lr = self.init
        self.plateau_count = 0

    def epoch_end(self, epoch: int, samples_seen: int, improved: bool) -> None:
        """Update the rate after a finished epoch (1-based) given whether it improved."""
        if self.kind == "invscaling":
            self.lr = self.init / (samples_seen + 1) ** self.power_t
        elif self.kind == "cosine":
            self.lr = self.init * 0.5 * (1.0 + math.cos(math.pi * epoch / self.max_iter))
        elif self.kind == "plateau":
            self.plateau_count = 0 if improved else self.plateau_count + 1
            if self.plateau_count >= self.patience:
                self.lr *= PLATEAU_FACTOR
                self.plateau_count = 0

    def should_stop(self) -> bool:
        """The stopping rule fired: stop (True), or lower the rate and go on (adaptive)."""
        if self.kind != "adaptive" or self.lr <= ADAPTIVE_MIN_LR:
            return True
        self.lr /= ADAPTIVE_DIVISOR
        return False

    def state(self) -> dict[str, Any]:
        return {"lr": self.lr, "plateau_count": self.plateau_count}

    def load_state(self, state: dict[str, Any]) -> None:
        self.lr = float(state["lr"])
        self.plateau_count = int(state["plateau_count"])
