#!/usr/bin/env bash
# The commit in `flyt --version` and in every output file is taken at each
# build, not at configure time: a copy of the source tree in a fresh git
# repository is built and shows its commit; a rebuild with nothing changed
# relinks nothing; a new commit and a rebuild show the new commit; a changed
# tracked file shows "-modified"; a source tarball (git archive) built
# without git says so.
# Usage: e2e_provenance.sh FLYT SOURCE_DIR
set -uo pipefail
SRC=$2
for tool in git cmake cc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP e2e_provenance: $tool is not installed"
    exit 0
  fi
done
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
G=(git -c user.name=flyt-test -c user.email=test@example.invalid -c commit.gpgsign=false)

# The tree as it is now (tracked and new files, not the ignored build
# folders), so the test checks the build rules being committed.
mkdir -p "$tmp/src"
(cd "$SRC" && git ls-files -co --exclude-standard -z 2>/dev/null |
  while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
  xargs -0 cp --parents -t "$tmp/src")
if [ ! -f "$tmp/src/CMakeLists.txt" ]; then
  cp -r "$SRC/." "$tmp/src/" && rm -rf "$tmp/src/.git" "$tmp/src"/build*
fi
cd "$tmp/src" || exit 1
"${G[@]}" init -q . && "${G[@]}" add -A && "${G[@]}" commit -q -m base
check "a fresh repository of the tree" test $? -eq 0

build() { # build DIR: configure when needed, then only the flyt target
  if [ ! -f "$1/CMakeCache.txt" ]; then
    cmake -S . -B "$1" -DBUILD_TESTING=OFF >"$tmp/cfg.log" 2>&1 || { cat "$tmp/cfg.log"; return 1; }
  fi
  cmake --build "$1" --target flyt -j2 >"$tmp/build.log" 2>&1 || { tail -20 "$tmp/build.log"; return 1; }
}
version() { "$1/flyt" --version | sed -n '1s/.*(commit \(.*\))$/\1/p'; }

build b
check "the copy builds" test $? -eq 0
head1=$(git rev-parse --short=12 HEAD)
check "--version shows the commit ($head1)" test "$(version b)" = "$head1"

touch "$tmp/mark"
sleep 1
build b
check "a rebuild with nothing changed relinks nothing" test ! b/flyt -nt "$tmp/mark"

echo "/* a later commit */" >>sim/cli/main.c
"${G[@]}" commit -q -am "second"
build b
head2=$(git rev-parse --short=12 HEAD)
check "a new commit, rebuilt, shows the new commit ($head2)" \
  test "$(version b)" = "$head2" -a "$head1" != "$head2"

echo "/* not committed */" >>sim/cli/main.c
build b
check "a changed tracked file shows $head2-modified" test "$(version b)" = "$head2-modified"

if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import h5py" 2>/dev/null; then
  b/flyt run --set run.horizon_days=5 --set run.warmup_days=0 -r 1 -t 1 --no-progress \
    -o "$tmp/p.h5" >/dev/null 2>&1
  got=$(/usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1]).attrs['git_commit'])" \
    "$tmp/p.h5" 2>/dev/null)
  check "the output file records the same commit" test "$got" = "$head2-modified"
fi

git checkout -q -- sim/cli/main.c
build b
check "back to the commit, no longer modified" test "$(version b)" = "$head2"

mkdir -p "$tmp/tar"
git archive --format=tar HEAD | tar -x -C "$tmp/tar"
cd "$tmp/tar" || exit 1
build b
check "a source tarball builds" test $? -eq 0
check "a tarball build says it is not from a git checkout" \
  test "$(version b)" = "unknown (not built from a git checkout)"

echo "e2e_provenance: $pass passed, $fail failed"
test "$fail" -eq 0
