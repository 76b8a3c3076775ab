#!/usr/bin/env python3
"""Calibration recovery and speed (issue 13): a 3PL bank of known parameters, simulees answering
linked incomplete forms, then `palpate calibrate`; prints JSON with RMSE of a, b, c and the time.

usage: calibration.py BINARY [items=350] [persons=6000] [form_length=100] [model=3pl] [seed=1]
                      [dist=beta]

dist (7th argument, or the DIST environment variable) chooses the bank's distribution:
  beta       a ~ LogNormal(0, 0.3), b ~ N(0, 1), c ~ Beta(5, 17) (the default, as before)
  reference  a ~ LogNormal(0, 0.25), b ~ N(0, 1), c ~ U(0.10, 0.25): the project's reference 3PL
             bank (shared/reference/exam-formats-and-cat.md section 3.1)
The persons, forms and answers are drawn the same way for both.

With BINARY = girth, the same data go to girth 0.8's threepl_mml / twopl_mml instead (the Python IRT
package the issue compares against; `pip install girth==0.8.0`), for a comparison on identical data.
"""
import json, math, os, random, shutil, subprocess, sys, tempfile, time

binary = sys.argv[1]
items = int(sys.argv[2]) if len(sys.argv) > 2 else 350
persons = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
form_len = int(sys.argv[4]) if len(sys.argv) > 4 else 100
model = sys.argv[5] if len(sys.argv) > 5 else "3pl"
rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
dist = sys.argv[7] if len(sys.argv) > 7 else os.environ.get("DIST", "beta")
if dist not in ("beta", "reference"):
    sys.exit(f"dist must be beta or reference, not {dist!r}")

truth = []
for i in range(items):
    if dist == "reference":
        a = math.exp(rng.gauss(0.0, 0.25))
        b = rng.gauss(0.0, 1.0)
        c = rng.uniform(0.10, 0.25) if model == "3pl" else 0.0
    else:
        a = math.exp(rng.gauss(0.0, 0.3))
        b = rng.gauss(0.0, 1.0)
        c = rng.betavariate(5, 17) if model == "3pl" else 0.0
    truth.append((a, b, c))
# Linked forms: form k covers items [k*step, k*step + form_len) around the bank, so neighbouring
# forms share items.
forms = max(1, items // (form_len // 2))
step = items // forms
rows = []
for p in range(persons):
    theta = rng.gauss(0.0, 1.0)
    k = p % forms
    for j in range(form_len):
        i = (k * step + j) % items
        a, b, c = truth[i]
        pr = c + (1 - c) / (1 + math.exp(-a * (theta - b)))
        rows.append({"person": p, "item": f"I{i}", "correct": rng.random() < pr})
if binary == "girth":
    import numpy as np
    import girth
    data = np.full((items, persons), girth.INVALID_RESPONSE, dtype=int)
    for r in rows:
        data[int(r["item"][1:]), r["person"]] = int(r["correct"])
    t0 = time.time()
    if model == "3pl":
        est = girth.threepl_mml(data)
        a_hat, b_hat, c_hat = est["Discrimination"], est["Difficulty"], est["Guessing"]
    else:
        est = girth.twopl_mml(data)
        a_hat, b_hat, c_hat = est["Discrimination"], est["Difficulty"], np.zeros(items)
    wall = time.time() - t0
    r = lambda xs: round(math.sqrt(sum(xs) / len(xs)), 4)
    print(json.dumps({
        "estimator": "girth " + getattr(girth, "__version__", "0.8"), "model": model, "dist": dist,
        "items": items,
        "persons": persons, "responses": len(rows), "forms": forms,
        "rmse_a": r([(a_hat[i] - truth[i][0]) ** 2 for i in range(items)]),
        "rmse_b": r([(b_hat[i] - truth[i][1]) ** 2 for i in range(items)]),
        "rmse_c": r([(c_hat[i] - truth[i][2]) ** 2 for i in range(items)]) if model == "3pl" else None,
        "wall_time_s": round(wall, 1),
    }, indent=2))
    sys.exit(0)
d = tempfile.mkdtemp()
path = os.path.join(d, "r.json")
with open(path, "w") as f:
    json.dump({"responses": rows}, f)
t0 = time.time()
out = subprocess.run([binary, "calibrate", "--responses", path, "--model", model, "--json"],
                     capture_output=True, text=True, env=dict(os.environ, PALPATE_DATA_DIR=d))
wall = time.time() - t0
shutil.rmtree(d, ignore_errors=True)
if out.returncode != 0:
    sys.exit(out.stderr)
res = json.loads(out.stdout)
est = {it["id"]: it for it in res["items"]}
def rmse(k, idx):
    xs = [(est[f"I{i}"][k] - truth[i][idx]) ** 2 for i in range(items) if f"I{i}" in est]
    return math.sqrt(sum(xs) / len(xs))
if os.environ.get("WORST"):
    errs = sorted(((est[f"I{i}"]["b"] - truth[i][1], i) for i in range(items)), key=lambda t: -abs(t[0]))
    for e, i in errs[:12]:
        it = est[f"I{i}"]
        print(f"I{i} true a={truth[i][0]:.2f} b={truth[i][1]:.2f} c={truth[i][2]:.2f}  est a={it['a']:.2f} b={it['b']:.2f} c={it['c']:.2f} se_b={it['se_b']}", file=sys.stderr)
print(json.dumps({
    "model": model, "dist": dist, "items": items, "persons": persons, "responses": len(rows),
    "forms": forms, "iterations": res["iterations"], "converged": res["converged"],
    "rmse_a": round(rmse("a", 0), 4), "rmse_b": round(rmse("b", 1), 4),
    "rmse_c": round(rmse("c", 2), 4) if model == "3pl" else None,
    # Root mean square of the reported standard errors of b, to set beside RMSE b: the two agree
    # when the standard errors are honest.
    "rms_se_b": round(math.sqrt(sum(it["se_b"] ** 2 for it in est.values() if it["se_b"] is not None)
                                / max(1, sum(1 for it in est.values() if it["se_b"] is not None))), 4),
    "calibrate_wall_time_s": round(res["wall_time_s"], 2), "process_wall_time_s": round(wall, 2),
}, indent=2))
