#!/usr/bin/env bash
# Readiness-check figures over ten independently drawn banks (issue 13): the reference setting
# (3PL bank of 750 items, cut θ = 0, exposure cap 0.25, blueprint control), 2,000 simulees, one
# JSON line per bank. usage: benches/readiness_banks.sh target/release/palpate [items=750] [simulees=2000]
set -euo pipefail
bin=${1:-target/release/palpate}; items=${2:-750}; n=${3:-2000}
for seed in 1 2 3 4 5 6 7 8 9 10; do
  "$bin" simulate --synthetic-bank "$items" --bank-seed "$seed" --synthetic-simulees "$n" --seeds 1 \
    | python3 -c "import json,sys; d=json.load(sys.stdin); d['bank_seed']=$seed; print(json.dumps(d))"
done
