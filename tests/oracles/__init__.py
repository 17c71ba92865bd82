"""Oracles written apart from ecoroute, for its tests and benchmarks to judge it by."""
