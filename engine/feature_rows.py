"""The training rows of X, kept in the dtype they were stored in and made ready batch by batch.

A dataset keeps its own dtype (uint8 pixels stay uint8). Standardizing a copy of it in the
training dtype up front would hold 4× the stored size of uint8 data for the whole fit (188 MB
beside MNIST's 47 MB), and a gathered copy of the training rows on top with early stopping.
Instead each batch is gathered from the stored rows, widened to the training dtype and
standardized into a buffer the trainer owns. The arithmetic per cell is the one the whole
matrix would get — the cast, ``x - mean`` and ``/ scale`` in the training dtype — so every
batch holds exactly the values a standardized copy would, and a resumed fit stays bit-exact.
The cost is two passes over one batch (about 1 % of a 784-256-128-10 batch; bench/engine.py).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from engine.xp import Array, take_rows


class FeatureRows:
    """The rows of ``source`` that train (all, or those ``rows`` names), standardized on read.

    ``source``: X on the device in its stored dtype; ``rows``: device indices of the training
    rows (None: every row); ``mean``/``scale``: the standardization in ``dtype`` (None: none).
    """

    def __init__(
        self,
        xp: ModuleType,
        source: Array,
        rows: Array | None,
        mean: Array | None,
        scale: Array | None,
        dtype: Any,
    ) -> None:
        self.xp, self.source, self.rows = xp, source, rows
        self.mean, self.scale = mean, scale
        self.dtype = np.dtype(dtype)
        n = int(source.shape[0] if rows is None else rows.shape[0])
        self.shape = (n, int(source.shape[1]))
        # Rows of the training dtype with nothing to subtract are used as they are stored.
        self._as_stored = source.dtype == self.dtype and mean is None
        self._stage: Array | None = None  # gathered rows in the stored dtype, reused

    def __len__(self) -> int:
        return self.shape[0]

    def take(self, idx: Array, out: Array) -> Array:
        """The training rows at positions ``idx``, ready, in ``out[: len(idx)]``."""
        return self._gather(idx if self.rows is None else self.rows[idx], out)

    def span(self, start: int, stop: int, out: Array) -> Array:
        """Training rows ``start:stop``, ready: a view when they need no conversion, else
        written into ``out``."""
        if self.rows is not None:
            return self._gather(self.rows[start:stop], out)
        part = self.source[start:stop]
        return part if self._as_stored else self._ready(part, out[: stop - start])

    def __getitem__(self, which: slice) -> Array:
        """Rows of a slice as a new array (for tests and small data; training uses take)."""
        start, stop, step = which.indices(self.shape[0])
        if step != 1:
            raise ValueError("FeatureRows takes contiguous slices only")
        out = self.xp.empty((max(0, stop - start), self.shape[1]), dtype=self.dtype)
        part = self.span(start, stop, out)
        return part if part is out else part.copy()

    def materialize(self) -> Array:
        """Every training row, ready, as one array (the copy this class exists to avoid)."""
        return self[:]

    def _gather(self, at: Array, out: Array) -> Array:
        """Rows ``at`` of the source, ready, in ``out[: len(at)]``."""
        n = int(at.shape[0])
        if self._as_stored:
            return take_rows(self.xp, self.source, at, out[:n])
        stage = self._staging(n)
        return self._ready(take_rows(self.xp, self.source, at, stage[:n]), out[:n])

    def _staging(self, n: int) -> Array:
        if self._stage is None or self._stage.shape[0] < n:
            self._stage = self.xp.empty((n, self.shape[1]), dtype=self.source.dtype)
        return self._stage

    def _ready(self, part: Array, out: Array) -> Array:
        if self.mean is None or self.scale is None:
            out[...] = part
            return out
        # The cast fused into the subtraction: (dtype(x) - mean), then / scale, as
        # preprocessing.standardize computes it on a whole matrix.
        self.xp.subtract(part, self.mean, out=out, dtype=self.dtype)
        out /= self.scale
        return out
