#!/bin/bash
# Do two versions of packer write the same bytes? Packs each DIR in several shapes with a
# packer source tree (e.g. `git worktree add /tmp/old HEAD~1`), run by this venv's Python
# without site's .pth files (so an editable install does not win), and compares every file
# written (packs, parts, manifest) and what `stats` prints.
#
#   benchmarks/same_outputs.sh OLD NEW DIR...          both trees, outputs compared
#   benchmarks/same_outputs.sh save SRC STORE DIR...   keep SRC's outputs in STORE
#   benchmarks/same_outputs.sh compare SRC STORE DIR... compare SRC's outputs with STORE's
#
# save/compare let a slow corpus (LARGE) be packed once before a change and once after.
# SHAPES (one shape per line, shell-quoted) replaces the default shapes; NOCHUNK=1 leaves
# out `chunk` and `review --dry-run` (run on every DIR otherwise); PYTHON another
# interpreter. A shape that fails is compared too: its exit status and stderr are kept.
set -u
py=${PYTHON:-$(dirname "$0")/../.venv/bin/python}
site=$("$py" -c "import site; print(site.getsitepackages()[0])")
run() {  # run SRC ARGS...: the packer CLI from the source tree SRC
  local src=$1; shift
  "$py" -S -c "import sys; sys.path[:0] = ['$src', '$site']; sys.argv[0] = 'packer'
from packer.cli import main; main()" "$@"
}
default_shapes="
-b none -f json
--skeleton -b none -f markdown
-b 20k -f plain
--query 'cache_key_prefix template' -b 50k
-b 30k --split"
mapfile -t shapes < <(printf '%s\n' "${SHAPES:-$default_shapes}")

save() {  # save SRC STORE DIR...: every shape's outputs under STORE/<n>/<k>/
  local src; src=$(readlink -f "$1"); local store=$2; shift 2
  local n=0
  for d in "$@"; do
    n=$((n + 1)); local k=0
    for shape in "${shapes[@]}"; do
      k=$((k + 1)); local out="$store/$n/$k"
      rm -rf "$out"; mkdir -p "$out"
      local args=(); eval "args=($shape)"  # a shape is several words, quotes respected
      run "$src" pack "$d" --no-cache -q "${args[@]}" -o "$out/out.txt" --manifest "$out/m.json" 2>"$out/stderr"
      echo $? >"$out/rc"
      # the manifest (and an error) name the output directory
      sed -i "s|$out|OUT|g" "$out/m.json" "$out/stderr" 2>/dev/null
    done
    mkdir -p "$store/$n/stats"
    run "$src" stats "$d" --no-cache -q -n 50 >"$store/$n/stats/stdout" 2>"$store/$n/stats/stderr"
    [ -n "${NOCHUNK:-}" ] && continue  # LARGE: gigabytes of chunks, hours of counting
    mkdir -p "$store/$n/chunk" "$store/$n/review"
    run "$src" chunk "$d" -q --max-tokens 300 --context >"$store/$n/chunk/stdout" 2>"$store/$n/chunk/stderr"
    # the exact request bodies a review would send (no key needed); review has no
    # --no-cache, so it gets an empty cache of its own
    local cache; cache=$(mktemp -d)
    PACKER_CACHE_DIR=$cache run "$src" review "$d" --dry-run -q --query 'review the cache' -t codex \
      >"$store/$n/review/stdout" 2>"$store/$n/review/stderr"
    rm -rf "$cache"
    sed -i "s|$d|DIR|g" "$store/$n/review/stderr"
  done
}

compare() {  # compare SRC STORE DIR...
  local src=$1 store=$2; shift 2
  local fresh; fresh=$(mktemp -d)
  save "$src" "$fresh" "$@"
  local total=0 differ=0 f
  while IFS= read -r f; do
    total=$((total + 1))
    cmp -s "$store/$f" "$fresh/$f" || { differ=$((differ + 1)); echo "DIFF $f"; }
  done < <(cd "$store" && find . -type f | sort)
  [ "$(cd "$fresh" && find . -type f | wc -l)" = "$total" ] || { differ=$((differ + 1)); echo "DIFF: another set of files"; }
  rm -rf "$fresh"
  echo "$total files compared, $differ differ"
  [ "$differ" = 0 ]
}

case "${1:-}" in
  save) shift; save "$@" ;;
  compare) shift; compare "$@" ;;
  *) old=$1 new=$2; shift 2
     store=$(mktemp -d); save "$old" "$store" "$@"; compare "$new" "$store" "$@"; rc=$?
     rm -rf "$store"; exit $rc ;;
esac
