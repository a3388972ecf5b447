"""Shared kernel: money, time, ids, errors and the rules evaluator. Imports nothing from anxin."""
