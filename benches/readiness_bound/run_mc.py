"""Driver: trajectories for each (bank, policy), every stopping rule over a parameter grid, for
nmax in {60, 100, 200} and nmin in {0, 25}; writes every operating point to mc_points.jsonl.

usage: nice python3 run_mc.py BANKS POLICIES [n=10000]
  e.g. nice python3 run_mc.py 1,2,3,4,5 cut,eap,forms4 10000
"""
import sys, json, time
import numpy as np
from traj import simulate
from stoprules import rule_post, rule_sprt, rule_dp, llr_matrix, evaluate
from dp_bound import boundaries

QS = [0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.993, 0.995,
      0.997, 0.999]
SPRT_D = [0.1, 0.2, 0.3, 0.5]
SPRT_E = [0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.002, 0.001]
LAMS = np.geomspace(1e-6, 3e-3, 12)


def info_sequence(tr, policy):
    I = np.sort(tr["I_cut"])[::-1]
    if policy in ("cut", "eap", "rand5"):
        return I
    if policy in ("forms4", "eapforms4"):
        return np.mean([np.concatenate([I[f::4], np.zeros(20)])[:200] for f in range(4)], 0)
    return tr["I_cut"][tr["items"].astype(int)].mean(0)  # realised mean info by position


def main():
    banks = [int(x) for x in sys.argv[1].split(",")]
    policies = sys.argv[2].split(",")
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    out = open("mc_points.jsonl", "a")
    for bank in banks:
        for pol in policies:
            t0 = time.time()
            tr = simulate(bank, pol, n=n, nmax=200)
            t1 = time.time()
            llrs = {d: llr_matrix(tr, d) for d in SPRT_D}
            seq = info_sequence(tr, pol)
            seq = np.concatenate([seq, np.zeros(max(0, 201 - len(seq)))])
            for nmax_label in (60, 100, 200):
                nmax = min(nmax_label, tr["items"].shape[1])
                bnds = {lam: boundaries(seq, lam, nmax) for lam in LAMS}
                for nmin in (0, 25):
                    def emit(rule, par, L, passed):
                        r = evaluate(tr, L, passed)
                        r.update(bank=bank, policy=pol, nmax=nmax_label, nmax_eff=nmax, nmin=nmin, rule=rule,
                                 par=par)
                        out.write(json.dumps({k: (float(v) if isinstance(v, np.floating) else v)
                                              for k, v in r.items()}) + "\n")
                    for w in (1.0, 1.5):
                        for q in QS:
                            emit(f"post_w{w}", q, *rule_post(tr, q, w, nmin, nmax))
                        for lam in LAMS:
                            emit(f"dp_w{w}", float(lam), *rule_dp(tr, bnds[lam], nmin, nmax, w))
                    for d in SPRT_D:
                        for e in SPRT_E:
                            emit("sprt", [d, e], *rule_sprt(tr, d, e, nmin, nmax, llrs[d]))
            out.flush()
            print(f"bank {bank} {pol}: sim {t1 - t0:.0f}s, rules {time.time() - t1:.0f}s",
                  flush=True)


if __name__ == "__main__":
    main()
