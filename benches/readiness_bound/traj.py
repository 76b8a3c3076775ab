"""Monte-Carlo trajectories of a classification CAT on a synthetic reference bank.

Every simulee is tested to the hard maximum NMAX; we record, after every item, the grid posterior
P(theta >= cut) (prior N(0,1), 160-node grid) and the item/response. Because item selection only
depends on the history (never on whether the test would have stopped), any stopping rule can then
be applied afterwards to the same trajectories (stoprules.py) -- exactly equivalent to running it
live, with common random numbers across rules.

Selection policies (all no content balancing):
  cut        max Fisher information at the cut (same order for everyone; no exposure control)
  eap        max Fisher information at the EAP estimate (no exposure control)
  rand5      randomesque: uniform among the 5 most informative unused items at the cut
  forms4     exposure cap 0.25 by construction: items sorted by information at the cut are dealt
             round-robin into 4 forms; simulee k uses form k mod 4, best-first within the form
  eapforms4  as forms4 but max information at EAP within the form
  tier{m}_{K}[_{F}] reserve the K best items (at the cut); the rest are dealt into 4 forms. A simulee
             takes m items of its form, then the K reserved items best-first, then the rest of its
             form. With F = 2 the reserved items are split into 2 forms (exposure = share longer than m / 2).
             Exposure of reserved items = share of tests longer than m (checked afterwards).
"""
import numpy as np
from common import (GRID, PRIOR_LOG, PASS_MASK, synthetic_bank, thetas, prob, info,
                    loglik_tables)


def fixed_orders(policy, I, n, nmax, rng):
    rank = np.argsort(-I)
    if policy == "cut":
        return np.tile(rank[:nmax], (n, 1))
    if policy == "forms4":
        forms = [rank[f::4][:nmax] for f in range(4)]
        return np.stack([forms[k % 4] for k in range(n)])
    if policy.startswith("tier"):
        parts = list(map(int, policy[4:].split("_")))
        m, K = parts[0], parts[1]
        F = parts[2] if len(parts) > 2 else 1
        top, rest = rank[:K], rank[K:]
        forms = [rest[f::4] for f in range(4)]
        tops = [top[f::F] for f in range(F)]
        # simulee k: base form k mod 4, reserved form k mod F (F in {1, 2} keeps it balanced)
        seqs = {(f, g): np.concatenate([forms[f][:m], tops[g], forms[f][m:]])[:nmax]
                for f in range(4) for g in range(F)}
        return np.stack([seqs[(k % 4, (k // 4) % F if F > 1 else 0)] for k in range(n)])
    raise ValueError(policy)


def simulate(bank_seed, policy, n=10000, nmax=200, theta_seed=None, n_items=750):
    a, b, c, area = synthetic_bank(n_items, bank_seed)
    if policy in ("forms4", "eapforms4"):
        nmax = min(nmax, n_items // 4)  # a form has only 187 items
    th = thetas(n, bank_seed if theta_seed is None else theta_seed)
    rng = np.random.default_rng(77 + bank_seed)
    U = rng.random((n, nmax))
    LP, LQ = loglik_tables(a, b, c)           # (items, G)
    I_cut = info(a, b, c, 0.0)
    logpost = np.tile(PRIOR_LOG, (n, 1))
    items = np.zeros((n, nmax), np.int16)
    resp = np.zeros((n, nmax), bool)
    ppass = np.zeros((n, nmax + 1), np.float32)
    ppass[:, 0] = 0.5
    rows = np.arange(n)
    adaptive = policy in ("eap", "rand5", "eapforms4")
    if adaptive:
        elig = np.ones((n, n_items), bool)
        if policy == "eapforms4":
            rank = np.argsort(-I_cut)
            form_of = np.empty(n_items, int)
            for f in range(4):
                form_of[rank[f::4]] = f
            elig = form_of[None, :] == (rows % 4)[:, None]
        IG = info(a[None, :], b[None, :], c[None, :], GRID[:, None])  # (G, items)
    else:
        order = fixed_orders(policy, I_cut, n, nmax, rng)
    for j in range(nmax):
        if policy == "rand5":
            sc = np.where(elig, I_cut[None, :], -1.0)
            top5 = np.argpartition(-sc, 5, axis=1)[:, :5]
            it = top5[rows, rng.integers(0, 5, n)]
        elif adaptive:
            w = np.exp(logpost - logpost.max(1, keepdims=True))
            eap = (w * GRID).sum(1) / w.sum(1)
            gi = np.clip(np.searchsorted(GRID, eap), 0, len(GRID) - 1)
            sc = np.where(elig, IG[gi], -1.0)
            it = sc.argmax(1)
        else:
            it = order[:, j]
        if adaptive:
            elig[rows, it] = False
        u = U[:, j] < prob(a[it], b[it], c[it], th)
        logpost += np.where(u[:, None], LP[it], LQ[it])
        w = np.exp(logpost - logpost.max(1, keepdims=True))
        ppass[:, j + 1] = w[:, PASS_MASK].sum(1) / w.sum(1)
        items[:, j] = it
        resp[:, j] = u
    return dict(theta=th, items=items, resp=resp, ppass=ppass, a=a, b=b, c=c, area=area,
                I_cut=I_cut)


if __name__ == "__main__":
    import sys, time
    seed, policy = int(sys.argv[1]), sys.argv[2]
    t0 = time.time()
    r = simulate(seed, policy, n=int(sys.argv[3]) if len(sys.argv) > 3 else 10000)
    print(policy, seed, "%.1fs" % (time.time() - t0))
    acc = ((r["ppass"][:, -1] >= 0.5) == (r["theta"] >= 0)).mean()
    print("acc at 200:", acc, "at 100:", ((r["ppass"][:, 100] >= 0.5) == (r["theta"] >= 0)).mean(),
          "at 40:", ((r["ppass"][:, 40] >= 0.5) == (r["theta"] >= 0)).mean())
