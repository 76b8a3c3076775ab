"""Shared pieces: reference-bank generator (same distributions as src/domain/irt/sim.rs
`synthetic_bank`), 3PL model (logistic, D = 1), quadrature grid and prior.

Bank (sim.rs): a = exp(0.25 Z), b ~ N(0,1), c ~ U(0.10, 0.25), four areas D1..D4 in the
proportions 143/139/162/156 (largest remainder). Simulees: theta ~ N(0,1).
RNG is numpy's PCG64, not ChaCha8: distributions match, draws do not.
"""
import numpy as np

DOMAIN_SIZES = [143, 139, 162, 156]
CUT = 0.0

# Quadrature grid: 160 midpoints on [-4, 4] (0 is not a node, so P(theta >= 0) is clean).
G = 160
GRID = -4.0 + (np.arange(G) + 0.5) * (8.0 / G)
PRIOR_LOG = -0.5 * GRID ** 2
PRIOR_LOG -= np.log(np.exp(PRIOR_LOG).sum())
PASS_MASK = GRID >= CUT


def largest_remainder(weights, n):
    w = np.asarray(weights, float) / np.sum(weights)
    raw = w * n
    base = np.floor(raw).astype(int)
    rem = n - base.sum()
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rem]] += 1
    return base


def synthetic_bank(n_items=750, seed=1):
    rng = np.random.default_rng(1000 + seed)
    sizes = largest_remainder(DOMAIN_SIZES, n_items)
    a = np.exp(0.25 * rng.standard_normal(n_items))
    b = rng.standard_normal(n_items)
    c = rng.uniform(0.10, 0.25, n_items)
    area = np.repeat(np.arange(4), sizes)
    return a, b, c, area


def thetas(n, seed):
    return np.random.default_rng(5_000_000 + seed).standard_normal(n)


def prob(a, b, c, th):
    """P(correct) for items (broadcast) at theta."""
    return c + (1.0 - c) / (1.0 + np.exp(-a * (th - b)))


def info(a, b, c, th):
    p = prob(a, b, c, th)
    return a * a * (1.0 - p) / p * ((p - c) / (1.0 - c)) ** 2


def loglik_tables(a, b, c):
    """log P(correct) and log P(wrong) for every item (rows) at every grid node (cols)."""
    p = prob(a[:, None], b[:, None], c[:, None], GRID[None, :])
    return np.log(p), np.log1p(-p)
