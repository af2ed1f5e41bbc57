"""Forward and backward passes of a dense network over one flat parameter vector.

``Network`` owns the parameters, the gradient and every per-batch buffer, allocated once per fit
for the largest batch; a smaller last batch uses the leading rows of each buffer. The first layer
never computes an input gradient. ``predict_output`` is the separate allocation-per-call pass for
inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from engine.activations import ACTIVATIONS, DERIVATIVES, NEEDS_PREACTIVATION, USES_SCRATCH
from engine.architecture import ParameterLayout
from engine.losses import Head, Norm, output_activate
from engine.xp import Array, scalar_like

PREDICT_CHUNK_ELEMENTS = 1 << 22  # rows per inference chunk x widest layer


@dataclass
class _Plan:
    acts: list[Array]
    deltas: list[Array]
    tmps: list[Array]
    pre: list[Array | None]
    masks: list[Array | None]
    dropped: list[Array | None]
    ones: Array


class Network:
    def __init__(
        self,
        xp: ModuleType,
        layout: ParameterLayout,
        activation: str,
        head: Head,
        dtype: Any,
        batch_size: int,
        *,
        alpha: float = 0.0,
        l1: float = 0.0,
        dropout: float = 0.0,
    ) -> None:
        self.xp, self.layout, self.head, self.dtype = xp, layout, head, dtype
        self.activation = activation
        self.alpha, self.l1, self.dropout = alpha, l1, dropout
        self.params = xp.zeros(layout.size, dtype=dtype)
        self.grads = xp.zeros(layout.size, dtype=dtype)
        self.W = _views(self.params, layout, weights=True)
        self.b = _views(self.params, layout, weights=False)
        self.gW = _views(self.grads, layout, weights=True)
        self.gb = _views(self.grads, layout, weights=False)
        n_w = layout.n_weights
        self._penalty_tmp = xp.empty(n_w, dtype=dtype) if (alpha or l1) else None

        hidden = [fan_out for _, fan_out in layout.shapes[:-1]]
        n_out = layout.shapes[-1][1]

        def buf(width: int) -> Array:
            return xp.empty((batch_size, width), dtype=dtype)

        self.acts = [buf(w) for w in hidden] + [buf(n_out)]
        self.deltas = [buf(w) for w in hidden] + [buf(n_out)]
        self.tmps = [buf(w) for w in hidden]
        needs_pre = activation in NEEDS_PREACTIVATION
        self.pre = [buf(w) if needs_pre else None for w in hidden]
        self.masks = [buf(w) if dropout else None for w in hidden]
        self.dropped = [buf(w) if dropout else None for w in hidden]
        self._ones = xp.ones(batch_size, dtype=dtype)
        self._plans: dict[int, _Plan] = {}

    @property
    def n_layers(self) -> int:
        return len(self.layout.shapes)

    def _plan(self, n: int) -> _Plan:
        """Views of every buffer for a batch of n rows (cached: full batches and the last one)."""
        plan = self._plans.get(n)
        if plan is None:

            def rows(bufs: list[Array | None]) -> list[Array | None]:
                return [None if b is None else b[:n] for b in bufs]

            plan = _Plan(
                acts=[b[:n] for b in self.acts],
                deltas=[b[:n] for b in self.deltas],
                tmps=[b[:n] for b in self.tmps],
                pre=rows(self.pre),
                masks=rows(self.masks),
                dropped=rows(self.dropped),
                ones=self._ones[:n],
            )
            self._plans[n] = plan
        return plan

    def train_batch(
        self,
        x: Array,
        y: Array,
        rng: np.random.Generator | None = None,
        w: Array | None = None,
        *,
        norm: Norm | None = None,
        penalties: bool = True,
    ) -> Array:
        """Loss of the batch (with penalties) at the current weights, as a 0-d device array;
        fills ``self.grads``.

        ``w``: sample weights [n, 1]. ``norm``: what the loss and gradient are divided by —
        by default the batch's row count, or the sum of its weights (scikit-learn's weighted
        mean); lbfgs passes the whole data set's and adds the penalties once itself.
        """
        xp, n, last = self.xp, x.shape[0], self.n_layers - 1
        if norm is None:
            norm = n if w is None else w.sum(dtype=np.float64)
        plan = self._plan(n)
        forward = ACTIVATIONS[self.activation]
        inputs = [x]
        a = x
        for i in range(last):
            z = plan.acts[i]
            xp.matmul(a, self.W[i], out=z)
            z += self.b[i]
            pre, mask, dropped = plan.pre[i], plan.masks[i], plan.dropped[i]
            if pre is not None:
                pre[...] = z
            forward(xp, z, plan.tmps[i])
            if mask is not None and dropped is not None:
                assert rng is not None, "dropout needs a random generator"
                self._draw_mask(rng, mask)
                z = xp.multiply(z, mask, out=dropped)
            inputs.append(z)
            a = z
        out = plan.acts[last]
        xp.matmul(a, self.W[last], out=out)
        out += self.b[last]
        delta = plan.deltas[last]
        loss = self.head.loss_and_delta(xp, out, y, delta, w, norm)

        derivative = DERIVATIVES[self.activation]
        for i in range(last, -1, -1):
            xp.matmul(inputs[i].T, delta, out=self.gW[i])
            xp.matmul(plan.ones, delta, out=self.gb[i])  # column sums, faster than sum(axis=0)
            if i == 0:
                break  # no gradient for the inputs
            below = plan.deltas[i - 1]
            xp.matmul(delta, self.W[i].T, out=below)
            mask = plan.masks[i - 1]
            if mask is not None:
                below *= mask
            derivative(xp, plan.acts[i - 1], below, plan.tmps[i - 1], plan.pre[i - 1])
            delta = below
        if penalties:
            loss = loss + self.add_penalties(norm)
        return loss

    def outputs(self, n: int) -> Array:
        """The output layer of the last ``train_batch`` of n rows: for an identity head, the
        batch's predictions (the regression heads leave it untouched)."""
        return self._plan(n).acts[-1]

    def add_penalties(self, norm: Norm, grads: Array | None = None) -> Array | float:
        """scikit-learn's L2 (0.5 alpha ||W||^2 / norm) and the L1 term (l1 ||W||_1 / norm):
        their value (a 0-d device array, or 0.0 without penalties), their gradient added to
        ``grads`` (default: ``self.grads``)."""
        tmp = self._penalty_tmp
        if tmp is None:
            return 0.0
        xp, n_w = self.xp, self.layout.n_weights
        w = self.params[:n_w]
        gw = (self.grads if grads is None else grads)[:n_w]
        penalty: Array | float = 0.0
        if self.alpha:
            squares = xp.dot(w, w).astype(np.float64)
            penalty = penalty + squares * (0.5 * self.alpha) / norm
            xp.multiply(w, scalar_like(xp, self.alpha / norm, self.dtype), out=tmp)
            gw += tmp
        if self.l1:
            xp.abs(w, out=tmp)
            penalty = penalty + tmp.sum(dtype=np.float64) * self.l1 / norm
            xp.sign(w, out=tmp)
            tmp *= scalar_like(xp, self.l1 / norm, self.dtype)
            gw += tmp
        return penalty

    def _draw_mask(self, rng: np.random.Generator, mask: Array) -> None:
        keep = 1.0 - self.dropout
        dtype = np.dtype(mask.dtype)
        # Drawn on the host in the mask's dtype on every backend, so that the generator's
        # stream (and a checkpoint's record of it) does not depend on the device.
        if isinstance(mask, np.ndarray):
            rng.random(out=mask, dtype=dtype)
        else:
            mask[...] = self.xp.asarray(rng.random(mask.shape, dtype=dtype))
        self.xp.less(mask, keep, out=mask)
        mask *= 1.0 / keep

    def clip_gradient(self, max_norm: float) -> None:
        """Rescale the gradient to at most ``max_norm`` (L2), on the device: the factor is
        min(1, max_norm / norm), so no host read decides whether to clip."""
        xp = self.xp
        norm = xp.sqrt(xp.dot(self.grads, self.grads))
        factor = xp.minimum(xp.asarray(max_norm, dtype=self.dtype) / norm, 1.0)
        self.grads *= xp.asarray(factor, dtype=self.dtype)

    def layers(self) -> list[tuple[Array, Array]]:
        return list(zip(self.W, self.b, strict=True))

    def evaluate(self, x: Array, y: Array, w: Array | None = None) -> tuple[Array, Array]:
        """Data loss (no penalties, no dropout; a 0-d device array) and output activations of
        a whole data set."""
        z = predict_output(self.xp, self.layers(), self.activation, "identity", x)
        norm = None if w is None else w.sum(dtype=np.float64)
        loss = self.head.loss_and_delta(self.xp, z, y, None, w, norm)
        return loss, z


def _views(flat: Array, layout: ParameterLayout, *, weights: bool) -> list[Array]:
    if weights:
        return [
            flat[s].reshape(shape)
            for s, shape in zip(layout.weight_slices(), layout.shapes, strict=True)
        ]
    return [flat[s] for s in layout.bias_slices()]


def predict_output(
    xp: ModuleType,
    layers: Sequence[tuple[Array, Array]],
    activation: str,
    output_activation: str,
    x: Array,
) -> Array:
    """Outputs [n, n_outputs] of the network for (already standardized) inputs, in row chunks."""
    n = x.shape[0]
    widest = max(w.shape[1] for w, _ in layers)
    rows = max(1, PREDICT_CHUNK_ELEMENTS // widest)
    if n <= rows:
        return _forward(xp, layers, activation, output_activation, x)
    parts = [
        _forward(xp, layers, activation, output_activation, x[s : s + rows])
        for s in range(0, n, rows)
    ]
    return xp.concatenate(parts, axis=0)


def _forward(
    xp: ModuleType,
    layers: Sequence[tuple[Array, Array]],
    activation: str,
    output_activation: str,
    x: Array,
) -> Array:
    forward = ACTIVATIONS[activation]
    a = x
    last = len(layers) - 1
    for i, (W, b) in enumerate(layers):
        z = xp.matmul(a, W)
        z += b
        if i < last:
            forward(xp, z, xp.empty_like(z) if activation in USES_SCRATCH else z)
        a = z
    output_activate(xp, output_activation, a)
    return a
