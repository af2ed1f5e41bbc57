"""A CPU stand-in for a device array module: numpy underneath, CuPy's rules on top.

Arrays are ``DeviceArray`` objects wrapping numpy arrays. Like CuPy's, they refuse to become
numpy arrays implicitly (``np.asarray(a)``, numpy ufuncs on them): the only way to the host is
``a.get()``, which this module counts (``reads``). Unlike CuPy, which allows ``float(a)`` and
``bool(a)`` at the price of a device sync, the stand-in refuses every implicit conversion
(``__float__``, ``__int__``, ``__index__``, ``__bool__``, ``__array__``, ``item()``,
``tolist()``, iteration), so that a training loop that reads a device value anywhere but
through ``engine.xp.to_host``/``to_float`` fails here, on the CPU, in every CI run.

Because the arithmetic is numpy's, a fit on the stand-in must give bit-identical weights to
the same fit on numpy: the backend tests check that, and count the reads per epoch.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np


class ImplicitHostConversion(RuntimeError):
    """A device value was read on the host without ``.get()``. (Not a TypeError, which numpy
    would take as "try another way" and then read the array element by element.)"""


def _unwrap(value: Any) -> Any:
    if isinstance(value, DeviceArray):
        return value._a
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, np.generic):  # numpy reductions give scalars; CuPy gives 0-d arrays
        return DeviceArray(np.asarray(value))
    return value


class DeviceArray:
    __slots__ = ("_a",)
    __array_ufunc__ = None  # numpy's operators hand over to ours; numpy's ufuncs refuse us

    def __init__(self, a: np.ndarray) -> None:
        self._a = a

    # -- what CuPy arrays offer without a host read -------------------------------------------

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    T = property(lambda self: DeviceArray(self._a.T))

    def __len__(self) -> int:
        return len(self._a)

    def __getitem__(self, key: Any) -> DeviceArray:
        return _wrap(self._a[_unwrap(key)])  # type: ignore[no-any-return]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_unwrap(key)] = _unwrap(value)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._a, name)  # reshape, sum, max, all, copy, astype, ...
        if name in ("item", "tolist", "__array__", "__iter__"):
            raise ImplicitHostConversion(f"{name}() reads a device array on the host")
        if not callable(method):
            return _wrap(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            return _wrap(method(*_unwrap(args), **_unwrap(kwargs)))

        return call

    def get(self) -> np.ndarray:
        """The explicit copy to the host (CuPy's ``get``): counted."""
        MODULE.reads += 1
        return self._a.copy()

    # -- implicit host reads: refused ---------------------------------------------------------

    def _refuse(self, *args: Any) -> Any:
        raise ImplicitHostConversion("a device array was read on the host implicitly")

    __float__ = __int__ = __index__ = __bool__ = __complex__ = _refuse
    __array__ = __iter__ = _refuse
    __array_interface__ = __array_struct__ = property(_refuse)

    # -- arithmetic ---------------------------------------------------------------------------

    def _binary(name: str) -> Callable[..., Any]:  # type: ignore[misc]
        def op(self: DeviceArray, other: Any) -> Any:
            return _wrap(getattr(self._a, name)(_unwrap(other)))

        return op

    def _inplace(name: str) -> Callable[..., Any]:  # type: ignore[misc]
        def op(self: DeviceArray, other: Any) -> DeviceArray:
            getattr(self._a, name)(_unwrap(other))
            return self

        return op

    for _name in ("add", "sub", "mul", "truediv", "pow", "lt", "le", "gt", "ge", "eq", "ne"):
        locals()[f"__{_name}__"] = _binary(f"__{_name}__")
    for _name in ("add", "sub", "mul", "truediv", "pow"):
        locals()[f"__r{_name}__"] = _binary(f"__r{_name}__")
        locals()[f"__i{_name}__"] = _inplace(f"__i{_name}__")
    del _name

    def __neg__(self) -> DeviceArray:
        return DeviceArray(-self._a)

    def __abs__(self) -> DeviceArray:
        return DeviceArray(abs(self._a))

    __hash__ = None  # type: ignore[assignment]


class StrictModule(types.ModuleType):
    """``xp`` for the stand-in: numpy's functions over ``DeviceArray``s."""

    def __init__(self) -> None:
        super().__init__("strict_xp")
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(np, name)
        if isinstance(target, type) or not callable(target):
            return target  # dtypes (np.float64), constants
        if name == "asarray":
            return _asarray

        def call(*args: Any, **kwargs: Any) -> Any:
            out = kwargs.get("out")
            result = target(*_unwrap(args), **_unwrap(kwargs))
            return out if isinstance(out, DeviceArray) else _wrap(result)

        return call


def _asarray(value: Any, dtype: Any = None) -> DeviceArray:
    """Host to device (free to call: CuPy's asarray copies to the device, no read back)."""
    if isinstance(value, DeviceArray):
        a = value._a if dtype is None else value._a.astype(dtype, copy=False)
        return DeviceArray(a)
    return DeviceArray(np.array(value, dtype=dtype))


MODULE = StrictModule()
