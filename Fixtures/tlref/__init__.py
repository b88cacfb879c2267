"""Helpers for Fixtures/generate_references.py: case recording, op cases and deterministic HDF5 writing."""
