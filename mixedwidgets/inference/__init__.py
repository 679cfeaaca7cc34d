"""Inference for fitted mixed models: degrees of freedom, F tests, profile and bootstrap intervals.

Works on plain records (the design and the backend's fit record) and calls the backend only; it never
imports `results`, `fitting`, `widgets` or `magic` (the results layer calls into it).
"""
