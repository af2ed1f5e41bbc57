"""The array module seam: kernels take ``xp`` (numpy now, CuPy on a GPU)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

Array = Any  # an ndarray of ``xp``; numpy and CuPy share the operations the engine uses


def resolve_xp(xp: ModuleType | None) -> ModuleType:
    return np if xp is None else xp


def to_host(a: Array) -> np.ndarray:
    """A numpy array with the same values (a no-op for numpy input)."""
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)
    return np.asarray(get() if get is not None else a)


def take_rows(xp: ModuleType, a: Array, idx: Array, out: Array) -> Array:
    """out[:] = a[idx] without a temporary (numpy's 'clip' mode skips the buffered copy)."""
    if xp is np:
        return np.take(a, idx, axis=0, out=out, mode="clip")
    return xp.take(a, idx, axis=0, out=out)
