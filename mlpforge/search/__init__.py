"""Hyper-parameter searches over the workers: grid, random and successive halving.

Trials are ordinary jobs; a search is a record in Redis that a controller steps whenever one
of its trials ends (and every few seconds besides), from any worker or API process: see
`mlpforge.search.controller`. The pure parts — the space, the halving plan, the objective,
the folds and the leaderboard — have no dependency on Redis.
"""
