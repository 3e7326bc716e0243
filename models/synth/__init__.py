"""Synthetic Vietnamese plate rendering for training data (not used at run time)."""
