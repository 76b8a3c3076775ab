"""Summarise mc_points.jsonl: per (policy, nmax, nmin, rule family) the accuracy on the upper
envelope at a mean length of 40 (interpolated), false pass / false fail / exposure / overlap there,
and the mean length needed for accuracy 0.945; mean and (min..max) over banks.

usage: python3 summarize.py [mc_points.jsonl] [L0=40] [cap]
"""
import sys, json
from collections import defaultdict
import numpy as np
from stoprules import acc_at, point_at, len_for

path = sys.argv[1] if len(sys.argv) > 1 else "mc_points.jsonl"
L0 = float(sys.argv[2]) if len(sys.argv) > 2 else 40.0
CAP = float(sys.argv[3]) if len(sys.argv) > 3 else None  # drop points whose exposure exceeds CAP
pts = [json.loads(l) for l in open(path)]
if CAP is not None:
    pts = [p for p in pts if p["expo"] <= CAP + 1e-9]
groups = defaultdict(list)
for p in pts:
    fam = p["rule"]
    for f in (fam, "best"):
        groups[(p["policy"], p["nmax"], p["nmin"], f, p["bank"])].append(p)

keys = sorted({k[:4] for k in groups})
print(f"| policy | max | min | rule | banks | acc @ {L0:g} items | false pass | false fail | "
      f"max exposure | overlap | items for 0.945 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")


def fmt(v):
    v = np.array(v, float)
    if np.all(np.isnan(v)):
        return "n/a"
    s = f"{np.nanmean(v):.4f} ({np.nanmin(v):.4f}–{np.nanmax(v):.4f})"
    if np.any(np.isnan(v)):
        s += f" [{int(np.isnan(v).sum())} n/a]"
    return s


def fmt_len(v):
    v = np.array(v, float)
    ok = v[~np.isnan(v)]
    if ok.size == 0:
        return "not reached"
    s = f"{ok.mean():.1f} ({ok.min():.1f}–{ok.max():.1f})"
    if ok.size < v.size:
        s += f", not reached on {v.size - ok.size} bank(s)"
    return s


for key in keys:
    banks = sorted(k[4] for k in groups if k[:4] == key)
    accs, fps, ffs, exs, ovs, lens = [], [], [], [], [], []
    for b in banks:
        g = groups[key + (b,)]
        accs.append(acc_at(g, L0))
        if np.isnan(accs[-1]):
            fps.append(np.nan); ffs.append(np.nan); exs.append(np.nan); ovs.append(np.nan)
        else:
            sec = point_at(g, L0)
            fps.append(sec["fp"]); ffs.append(sec["ff"]); exs.append(sec["expo"])
            ovs.append(sec["overlap"])
        lens.append(len_for(g, 0.945))
    pol, nmax, nmin, fam = key
    print(f"| {pol} | {nmax} | {nmin} | {fam} | {len(banks)} | {fmt(accs)} | {fmt(fps)} | "
          f"{fmt(ffs)} | {fmt(exs)} | {fmt(ovs)} | {fmt_len(lens)} |")
