"""Closed-form fixed-length bound: a test whose information at the cut is t gives, for
theta ~ N(0,1) and estimate error N(0, 1/t), accuracy P(sign agreement) = 1/2 + asin(rho)/pi,
rho = 1/sqrt(1 + 1/t). t = sum of the n largest item informations at the cut (no exposure
control) or of every 4th (4 parallel forms, exposure 0.25). A variable-length test with a hard
maximum of n items cannot beat the fixed n-item test built from the same items (the Bayes verdict
after all n answers is at least as good as any verdict after fewer), so fixed-n accuracy is also
the ceiling for any stopping rule with max n and that item order.
usage: python3 analytic.py [banks=10]"""
import sys
import numpy as np
from math import asin, sqrt, pi
from common import synthetic_bank, info

acc = lambda t: 0.5 + asin(1 / sqrt(1 + 1 / t)) / pi
nb = int(sys.argv[1]) if len(sys.argv) > 1 else 10
rows = []
for s in range(1, nb + 1):
    a, b, c, _ = synthetic_bank(750, s)
    I = np.sort(info(a, b, c, 0.0))[::-1]
    t = np.cumsum(I)
    t4 = np.cumsum(I[::4])  # the best of the 4 forms dealt round-robin; others slightly lower
    t4m = np.mean([np.cumsum(I[f::4])[:187] for f in range(4)], 0)
    rows.append([t[39], t[99], t[199], acc(t[39]), acc(t[99]), acc(t[199]),
                 t4m[39], t4m[99], acc(t4m[39]), acc(t4m[99]), acc(t4m[186])])
r = np.array(rows)
names = ["I(top40)", "I(top100)", "I(top200)", "acc fixed40", "acc fixed100", "acc fixed200",
         "I(form40)", "I(form100)", "acc form40", "acc form100", "acc form187"]
print("| quantity | mean | min | max |\n|---|---|---|---|")
for j, nme in enumerate(names):
    print(f"| {nme} | {r[:, j].mean():.4f} | {r[:, j].min():.4f} | {r[:, j].max():.4f} |")
# information needed at the cut for 0.945 / 0.95 with a fixed test
for target in (0.945, 0.95):
    lo, hi = 1.0, 200.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if acc(mid) < target else (lo, mid)
    print(f"fixed-test information at the cut needed for accuracy {target}: {hi:.1f}")
