"""Stopping rules applied to recorded trajectories (see traj.py), and frontier helpers.

Rules (all with a minimum length nmin and a hard maximum nmax; verdict at the maximum: pass iff
P(pass) >= w/(1+w)):
  post(q, w)   Bayesian posterior-probability stop: stop-pass when P(fail) <= (1-q)/w,
               stop-fail when P(pass) <= 1-q. w = 1 symmetric; w > 1 guards false passes.
  sprt(d, e)   Wald SPRT of theta = +d vs -d, alpha = beta = e; at the maximum, verdict by P(pass).
  dp(lam)      Bayes-optimal boundary from the Gaussian backward induction (dp_bound.py) for the
               policy's information sequence: stop when max(P, 1-P) >= Phi(b_n).
"""
import numpy as np
from math import erf, sqrt
from common import prob


def Phi(x):
    return np.array([0.5 * (1 + erf(v / sqrt(2))) if np.isfinite(v) else (1.0 if v > 0 else 0.0)
                     for v in np.atleast_1d(x)])


def first_true(cond):
    """Index of the first True per row (cond must have a True in each row)."""
    return cond.argmax(1)


def evaluate(tr, L, passed):
    th = tr["theta"]
    truly = th >= 0
    n = len(th)
    ok = passed == truly
    pos = np.arange(tr["items"].shape[1])[None, :]
    used = tr["items"][pos < L[:, None]]
    cnt = np.bincount(used.astype(int), minlength=len(tr["a"]))
    mean_len = L.mean()
    return dict(L=mean_len, acc=ok.mean(), fp=(passed & ~truly).mean(),
                ff=(~passed & truly).mean(), expo=cnt.max() / n,
                overlap=(cnt * (cnt - 1.0)).sum() / (n * (n - 1.0) * mean_len),
                near=ok[np.abs(th) <= 0.5].mean(), Lmax_share=(L == L.max()).mean())


def _finish(tr, cond, P, nmax, w):
    cond = cond.copy()
    cond[:, nmax] = True
    L = first_true(cond)
    Pst = P[np.arange(len(L)), L]
    return L, Pst


def rule_post(tr, q, w=1.0, nmin=0, nmax=100):
    P = tr["ppass"][:, : nmax + 1]
    cond = ((1 - P) <= (1 - q) / w) | (P <= 1 - q)
    cond[:, :nmin] = False
    L, Pst = _finish(tr, cond, P, nmax, w)
    return L, Pst >= w / (1 + w)


def llr_matrix(tr, d):
    a, b, c = tr["a"], tr["b"], tr["c"]
    it = tr["items"].astype(int)
    pp, pm = prob(a[it], b[it], c[it], d), prob(a[it], b[it], c[it], -d)
    r = tr["resp"]
    inc = np.where(r, np.log(pp / pm), np.log((1 - pp) / (1 - pm)))
    return np.concatenate([np.zeros((len(it), 1)), np.cumsum(inc, 1)], 1)


def rule_sprt(tr, d, e, nmin=0, nmax=100, llr=None, w=1.0):
    llr = llr_matrix(tr, d) if llr is None else llr
    llr = llr[:, : nmax + 1]
    A, B = np.log((1 - e) / e), np.log(e / (1 - e))
    cond = (llr >= A) | (llr <= B)
    cond[:, :nmin] = False
    P = tr["ppass"][:, : nmax + 1]
    L, Pst = _finish(tr, cond, P, nmax, w)
    lv = llr[np.arange(len(L)), L]
    passed = np.where(lv >= A, True, np.where(lv <= B, False, Pst >= w / (1 + w)))
    return L, passed


def rule_dp(tr, bnd, nmin=0, nmax=100, w=1.0):
    P = tr["ppass"][:, : nmax + 1]
    qn = Phi(bnd[: nmax + 1])[None, :]
    cond = (np.maximum(P, 1 - P) >= qn)
    cond[:, :nmin] = False
    L, Pst = _finish(tr, cond, P, nmax, w)
    return L, Pst >= w / (1 + w)


def envelope(points, key="acc"):
    """Upper envelope of acc vs mean length: sorted by L, running max."""
    pts = sorted(points, key=lambda p: p["L"])
    env, best = [], -1
    for p in pts:
        if p[key] > best:
            best = p[key]
            env.append(p)
    return env


def acc_at(points, L0):
    env = envelope(points)
    Ls = np.array([p["L"] for p in env]); ac = np.array([p["acc"] for p in env])
    if L0 < Ls.min():
        return float("nan")
    if L0 >= Ls.max():
        return float(ac[-1])  # saturated: longer tests give nothing more under this max
    return float(np.interp(L0, Ls, ac))


def point_at(points, L0, keys=("fp", "ff", "expo", "overlap", "near")):
    """Interpolated secondary figures along the envelope at L0."""
    env = envelope(points)
    Ls = np.array([p["L"] for p in env])
    out = {}
    for k in keys:
        v = np.array([p[k] for p in env])
        out[k] = float(np.interp(L0, Ls, v))
    return out


def len_for(points, a0):
    env = envelope(points)
    Ls = np.array([p["L"] for p in env]); ac = np.array([p["acc"] for p in env])
    if a0 > ac.max():
        return float("nan")
    i = np.argmax(ac >= a0)
    if i == 0:
        return float(Ls[0])
    return float(np.interp(a0, ac[i - 1: i + 1], Ls[i - 1: i + 1]))
