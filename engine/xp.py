"""The array module seam: kernels take ``xp`` (numpy now, CuPy on a GPU).

On a GPU every read of a device value on the host (``float()``, ``bool()``, ``.item()``,
``.get()``) waits for the device to finish its queue. The training loop therefore keeps its
scalars (batch losses, penalties, gradient norms) as 0-d device arrays and reads them through
``to_host``/``to_float`` only at epoch boundaries; the backend tests count those reads.
"""

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
    if isinstance(a, np.generic):
        return np.asarray(a)
    get = getattr(a, "get", None)
    return np.asarray(get() if get is not None else a)


def to_float(a: Array) -> float:
    """A 0-d device value as a Python float (one host read)."""
    if isinstance(a, float | int | np.generic):
        return float(a)
    return float(to_host(a))


def scalar_like(xp: ModuleType, value: Any, dtype: Any) -> Any:
    """``value`` ready to scale an array of ``dtype`` in place: a Python number stays one (numpy
    treats it as weakly typed, so a float32 array stays float32 arithmetic); a 0-d device array
    is cast to ``dtype`` on the device, never read on the host."""
    if type(value) in (float, int):  # not numpy's float64, a float subclass but not weak
        return value
    return xp.asarray(value, dtype=dtype)


def take_rows(xp: ModuleType, a: Array, idx: Array, out: Array) -> Array:
    """out[:] = a[idx] without a temporary (numpy's 'clip' mode skips the buffered copy)."""
    if xp is np:
        return np.take(a, idx, axis=0, out=out, mode="clip")
    return xp.take(a, idx, axis=0, out=out)
