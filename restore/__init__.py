"""Restores: plans that read one package per file at most, their execution, recovery from tapes alone."""
