"""The PyTorch reference both benchmarks train: the same MLP, optimizer and loop.

scikit-learn's L2 term (gradient alpha * W / batch, on weights only) becomes Adam's
weight_decay on the weight parameter group, so all three systems do the same arithmetic.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any


def build(
    torch: Any, n_features: int, hidden: Sequence[int], n_classes: int, *, alpha: float, batch: int
) -> tuple[Any, Any, Any]:
    """(model, optimizer, loss) for a ReLU MLP with Adam at scikit-learn's defaults."""
    sizes = [n_features, *hidden, n_classes]
    layers: list[Any] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.Adam(
        [{"params": weights, "weight_decay": alpha / batch}, {"params": biases}],
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
    )
    return model, optimizer, torch.nn.CrossEntropyLoss()


def train_epoch(
    torch: Any, model: Any, optimizer: Any, loss_fn: Any, X: Any, y: Any, batch: int
) -> None:
    """One shuffled epoch of mini-batches."""
    n = X.shape[0]
    order = torch.randperm(n)
    for start in range(0, n, batch):
        idx = order[start : start + batch]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        optimizer.step()
