"""Benchmarks: `make bench` runs `bench/run_all.py`, which runs every script here."""
