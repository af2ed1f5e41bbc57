"""Which trials a search runs next: its rung's units (candidate × fold) in order, at most
``max_parallel`` at a time, and a halving promotion's start from the previous rung's model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mlpforge.search.leaderboard import REFIT_UNIT, unit_key
from mlpforge.search.trials import CONTINUES
from store.ids import new_id
from store.search_records import ActiveTrial, Candidate, SearchRecord, SearchState, TrialResult

# Finished results by unit key (those of the previous rung, for promotions).
Lookup = Callable[[Sequence[str]], dict[str, TrialResult]]


def rung_units(search: SearchRecord, state: SearchState) -> list[tuple[int, int | None]]:
    """(candidate, fold) of every job of the current rung, in the order they are run: a
    candidate's folds together, so that its mean objective is known early."""
    if search.cv is None:
        return [(candidate, None) for candidate in state.rung_candidates]
    return [(c, fold) for c in state.rung_candidates for fold in range(search.cv)]


def unit_keys(search: SearchRecord, state: SearchState) -> list[str]:
    return [unit_key(c, state.rung, fold or 0) for c, fold in rung_units(search, state)]


def allocate(
    search: SearchRecord,
    state: SearchState,
    candidates: Callable[[Sequence[int]], dict[int, Candidate]],
    previous: Lookup,
) -> list[ActiveTrial]:
    """The next trials of the rung, while fewer than ``max_parallel`` are in flight; moves
    ``state.next_unit`` on and adds them to ``state.active``."""
    units = rung_units(search, state)
    free = search.max_parallel - len(state.active)
    chosen = units[state.next_unit : state.next_unit + max(0, free)]
    if not chosen:
        return []
    state.next_unit += len(chosen)
    params = candidates([c for c, _ in chosen])
    earlier = _earlier(search, state, chosen, previous)
    new = []
    for candidate, fold in chosen:
        trial = ActiveTrial(
            job_id=new_id("job"),
            unit=unit_key(candidate, state.rung, fold or 0),
            candidate=candidate,
            rung=state.rung,
            fold=fold,
            max_iter=int(params[candidate].params["max_iter"]),
        )
        if search.halving is not None:
            trial = _budget(search, state, trial, earlier.get(trial.unit))
        new.append(trial)
    state.active.extend(new)
    return new


def _earlier(
    search: SearchRecord,
    state: SearchState,
    chosen: list[tuple[int, int | None]],
    previous: Lookup,
) -> dict[str, TrialResult]:
    """This rung's unit → the same candidate and fold's result on the previous rung."""
    if search.halving is None or state.rung == 0 or not CONTINUES:
        return {}
    pairs = {
        unit_key(c, state.rung, fold or 0): unit_key(c, state.rung - 1, fold or 0)
        for c, fold in chosen
    }
    found = previous(list(pairs.values()))
    return {unit: found[before] for unit, before in pairs.items() if before in found}


def _budget(
    search: SearchRecord, state: SearchState, trial: ActiveTrial, before: TrialResult | None
) -> ActiveTrial:
    """A rung's epochs: the rest of the rung's budget on top of the previous rung's model
    when it can continue from it, else the whole budget from scratch."""
    assert search.halving is not None
    budget = search.halving.n_resources[state.rung]
    if before is not None and before.status == "succeeded" and before.model_id is not None:
        spent = search.halving.n_resources[state.rung - 1]
        return trial.model_copy(
            update={
                "max_iter": max(1, budget - spent),
                "init_model_id": before.model_id,
                "prior_epochs": before.epochs,
            }
        )
    return trial.model_copy(update={"max_iter": budget})


def refit_trial(search: SearchRecord, candidate: int, rung: int, max_iter: int) -> ActiveTrial:
    """The best candidate trained once more on every row (cv's ``refit``)."""
    budget = search.halving.n_resources[rung] if search.halving is not None else max_iter
    return ActiveTrial(
        job_id=new_id("job"), unit=REFIT_UNIT, candidate=candidate, rung=rung, max_iter=budget
    )
