"""Benchmarks for NG001: what running an eval-mode model with autograd enabled costs."""
