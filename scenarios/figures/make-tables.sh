#!/usr/bin/env bash
# Everything behind the figure tables of scenarios/README.md, in order:
#   1. the strict fit of 2022 to every figure (reported; it misses five),
#   2. the fit behind trondheim-2022-fitted.cfg (it misses one: see its spec),
#   3. trondheim-2022-fitted.cfg and trondheim-2025-predicted.cfg from it,
#   4. the four files run with their own seeds and replications, and
#   5. the tables written into scenarios/README.md.
# Usage: scenarios/figures/make-tables.sh FLYT [--no-fit]
#   (--no-fit: steps 3-5 only, from the committed fit JSON)
set -euo pipefail
FLYT=$(realpath "$1")
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "${2:-}" != --no-fit ]; then
  # both exit 1 (not converged): their JSON is the result
  nice "$FLYT" calibrate calibration/trondheim-2022-figures.calib -t 1 --no-progress \
    --format json >figures/trondheim-2022-strict-fit.json || true
  nice "$FLYT" calibrate calibration/trondheim-2022-figures-fit.calib -t 1 --no-progress \
    --format json >figures/trondheim-2022-fit.json || true
fi
"$PY" figures/derive.py fitted figures/trondheim-2022-fit.json >trondheim-2022-fitted.cfg
"$PY" figures/derive.py predicted figures/trondheim-2022-fit.json >trondheim-2025-predicted.cfg
args=()
for r in trondheim-2022:2022 trondheim-2025:2025 \
         trondheim-2022-fitted:2022:figures/trondheim-2022-fit.json trondheim-2025-predicted:2025; do
  IFS=: read -r label year fit <<<"$r"
  nice "$FLYT" run "$label.cfg" -t 1 --no-progress -o "$tmp/$label.h5" >/dev/null
  args+=("$label:$year:$tmp/$label.h5${fit:+:$fit}")
done
"$PY" figures/tables.py write README.md figures/trondheim.csv "${args[@]}"
