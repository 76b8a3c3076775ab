#!/usr/bin/env python3
"""Calibration recovery and speed (issue 13): a 3PL bank of known parameters, simulees answering
linked incomplete forms, then `palpate calibrate`; prints JSON with RMSE of a, b, c and the time.

usage: calibration.py BINARY [items=350] [persons=6000] [form_length=100] [model=3pl] [seed=1]
"""
import json, math, os, random, subprocess, sys, tempfile, time

binary = sys.argv[1]
items = int(sys.argv[2]) if len(sys.argv) > 2 else 350
persons = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
form_len = int(sys.argv[4]) if len(sys.argv) > 4 else 100
model = sys.argv[5] if len(sys.argv) > 5 else "3pl"
rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)

truth = []
for i in range(items):
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
d = tempfile.mkdtemp()
path = os.path.join(d, "r.json")
with open(path, "w") as f:
    json.dump({"responses": rows}, f)
t0 = time.time()
out = subprocess.run([binary, "calibrate", "--responses", path, "--model", model, "--json"],
                     capture_output=True, text=True, env=dict(os.environ, PALPATE_DATA_DIR=d))
wall = time.time() - t0
if out.returncode != 0:
    sys.exit(out.stderr)
res = json.loads(out.stdout)
est = {it["id"]: it for it in res["items"]}
def rmse(k, idx):
    xs = [(est[f"I{i}"][k] - truth[i][idx]) ** 2 for i in range(items) if f"I{i}" in est]
    return math.sqrt(sum(xs) / len(xs))
print(json.dumps({
    "model": model, "items": items, "persons": persons, "responses": len(rows),
    "forms": forms, "iterations": res["iterations"], "converged": res["converged"],
    "rmse_a": round(rmse("a", 0), 4), "rmse_b": round(rmse("b", 1), 4),
    "rmse_c": round(rmse("c", 2), 4) if model == "3pl" else None,
    "calibrate_wall_time_s": round(res["wall_time_s"], 2), "process_wall_time_s": round(wall, 2),
}, indent=2))
