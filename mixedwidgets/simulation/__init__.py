"""Simulation: new responses from a fitted model, or a data set from a formula and chosen true values."""

from .simulate import simulate, simulate_data, simulate_responses

__all__ = ["simulate", "simulate_data", "simulate_responses"]
