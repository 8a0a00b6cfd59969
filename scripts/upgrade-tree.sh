#!/usr/bin/env bash
# Converts the old-form originals of the shipped scenarios, sweep specs and
# calibration specs (tests/upgrade/old/, scenarios/ as it was before issue
# 14) to the network form with `flyt upgrade`, into OUT with the same
# relative paths: OUT/trondheim-2025.cfg, OUT/sweeps/bench.cfg, ... OUT then
# matches scenarios/ file for file (tests/e2e_upgrade.sh checks that), but
# for the network scenarios, which have no old form.
# OLD-DIR (default: tests/upgrade/old of this source tree) converts another
# tree of old files the same way.
# Usage: scripts/upgrade-tree.sh FLYT OUT-DIR [OLD-DIR]
set -u
usage="usage: upgrade-tree.sh FLYT OUT-DIR [OLD-DIR]"
flyt=${1:?$usage}
out=${2:?$usage}
old=${3:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/upgrade/old"}
case $flyt in */*) flyt=$(cd "$(dirname "$flyt")" && pwd)/${flyt##*/} ;; esac
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
cd "$old" || exit 2
status=0
while IFS= read -r f; do
    f=${f#./}
    mkdir -p "$out/$(dirname "$f")"
    rm -f "$out/$f"
    "$flyt" upgrade "$f" -o "$out/$f" || status=1
done < <(find . \( -name '*.cfg' -o -name '*.calib' \) | LC_ALL=C sort)
exit $status
