"""Frontier Tracker: regression tracking for LLM-inference benchmark sweeps."""
