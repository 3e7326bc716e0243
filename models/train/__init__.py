"""Reproducible training scripts for the weights we train ourselves (need the `train` extra)."""
