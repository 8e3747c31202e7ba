#!/bin/bash
# Do two versions of packer write the same bytes? Packs each DIR in six shapes with the
# packer source trees OLD and NEW (e.g. `git worktree add /tmp/old HEAD~1`), run by this
# venv's Python without site's .pth files (so an editable install does not win), and
# compares every file written (packs, parts, manifest).
# Usage: benchmarks/same_outputs.sh OLD NEW DIR... ; PYTHON=... to use another interpreter.
set -u
py=${PYTHON:-$(dirname "$0")/../.venv/bin/python}
site=$("$py" -c "import site; print(site.getsitepackages()[0])")
old=$(readlink -f "$1"); new=$(readlink -f "$2"); shift 2
run() {  # run SRC ARGS...: the packer CLI from the source tree SRC
  local src=$1; shift
  "$py" -S -c "import sys; sys.path[:0] = ['$src', '$site']; sys.argv[0] = 'packer'
from packer.cli import main; main()" "$@"
}
shapes=("" "-b none -f json" "--skeleton -b none -f markdown" "-b 20k -f plain"
        "--query cache_key_prefix template -b 50k" "-b 30k --split")
work=$(mktemp -d); total=0; differ=0
for d in "$@"; do
  for shape in "${shapes[@]}"; do
    for side in old new; do
      src=$old; [ "$side" = new ] && src=$new
      rm -rf "$work/$side"; mkdir -p "$work/$side"
      # shellcheck disable=SC2086 # a shape is several words
      run "$src" pack "$d" --no-cache -q $shape -o "$work/$side/out.txt" --manifest "$work/$side/m.json" 2>/dev/null
    done
    for f in $(cd "$work/old" && ls); do
      total=$((total + 1))
      if [ "$f" = m.json ]; then  # the manifest names its own output directory
        cmp -s <(sed "s|$work/old|W|g" "$work/old/$f") <(sed "s|$work/new|W|g" "$work/new/$f") && continue
      else
        cmp -s "$work/old/$f" "$work/new/$f" && continue
      fi
      differ=$((differ + 1)); echo "DIFF $d [$shape] $f"
    done
  done
done
rm -rf "$work"
echo "$total files compared, $differ differ"
