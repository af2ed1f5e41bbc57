"""Candidates are drawn as scikit-learn's ParameterGrid and ParameterSampler draw them."""

from __future__ import annotations

import math

from sklearn.model_selection import ParameterGrid

from mlpforge.search import space
from mlpforge.search.space import Range


def test_the_grid_is_parameter_grids_in_the_same_order() -> None:
    dims: dict[str, space.Dimension] = {
        "solver": ["adam", "sgd"],
        "alpha": [1e-4, 1e-3, 1e-2],
        "hidden_layer_sizes": [[8], [16, 8]],
    }
    assert list(space.grid(dims)) == list(ParameterGrid(dims))
    assert space.grid_size(dims) == len(ParameterGrid(dims)) == 12
    assert space.grid_point(dims, 7) == ParameterGrid(dims)[7]


def test_a_space_of_lists_is_sampled_without_replacement() -> None:
    dims: dict[str, space.Dimension] = {"a": [1, 2, 3], "b": ["x", "y"]}
    drawn = space.sample(dims, 4, seed=0)
    assert len(drawn) == 4
    assert len({tuple(sorted(p.items())) for p in drawn}) == 4
    assert space.sample(dims, 4, seed=0) == drawn  # same seed, same candidates
    # Asked for more points than the grid has: the whole grid, each once.
    assert sorted(map(str, space.sample(dims, 50, seed=0))) == sorted(map(str, ParameterGrid(dims)))


def test_ranges_are_drawn_within_their_bounds() -> None:
    dims: dict[str, space.Dimension] = {
        "alpha": Range(1e-5, 1e-1, log=True),
        "momentum": Range(0.5, 0.99),
        "batch_size": Range(16, 256, integer=True),
        "units": Range(8, 512, log=True, integer=True),
        "activation": ["relu", "tanh"],
    }
    drawn = space.sample(dims, 400, seed=3)
    alphas = [p["alpha"] for p in drawn]
    assert all(1e-5 <= a <= 1e-1 for a in alphas)
    # Log-uniform: about as many draws in each decade.
    decades = [sum(1 for a in alphas if 10**d <= a < 10 ** (d + 1)) for d in range(-5, -1)]
    assert min(decades) > 60, decades
    assert all(0.5 <= p["momentum"] <= 0.99 for p in drawn)
    sizes = [p["batch_size"] for p in drawn]
    assert all(isinstance(b, int) and 16 <= b <= 256 for b in sizes)
    assert {16, 256} & set(sizes) or max(sizes) - min(sizes) > 200  # both ends reachable
    units = [p["units"] for p in drawn]
    assert all(isinstance(u, int) and 8 <= u <= 512 for u in units)
    assert sum(1 for u in units if u < math.sqrt(8 * 512)) > 120  # log: the low half is big
    assert {p["activation"] for p in drawn} == {"relu", "tanh"}
