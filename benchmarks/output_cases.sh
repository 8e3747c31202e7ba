#!/bin/bash
# The output cases of issue 13, one line each: what a packer command does with hostile or
# bad output paths. Usage: benchmarks/output_cases.sh PACKER (a `packer` executable).
# Everything happens in a fresh `mktemp -d` directory: the character device is made there
# with mknod (root only), the read-only directory is a read-only tmpfs mounted there
# (root only; skipped if mount is refused); no system device or file is touched.
case "$1" in */*) P=$(readlink -f "$1") ;; *) P=$(command -v "$1") ;; esac
W=$(mktemp -d); cd "$W" || exit 1
mkdir repo
for i in $(seq 1 40); do
  python3 -c "print('\n'.join(f'def f${i}_{j}(): return {${i}*100+j}' for j in range(60)))" > repo/m$i.py
done
printf 'def f():\n    return 1\n' > repo/a.py
(cd repo && git init -q && git add . && git -c user.email=a@b -c user.name=n commit -qm i)
r() { echo "$1 | $2"; }
if mknod null c 1 3 2>/dev/null; then
  chmod 666 null; $P pack repo -q -o null --no-cache 2>err; r "-o <char device>" "rc=$? $(stat -c %F null) $(head -c 60 err)"
fi
mkfifo fifo; (cat fifo | wc -c > fifo.n &); sleep 0.2
$P pack repo -q -o fifo --no-cache 2>err; rc=$?; sleep 0.5
r "-o FIFO with a reader" "rc=$rc $(stat -c %F fifo) reader got $(cat fifo.n 2>/dev/null) bytes $(head -c 80 err)"
$P pack repo -q --no-cache -o >(wc -c > ps.n) 2>err; rc=$?; sleep 0.5; r "-o >(wc -c)" "rc=$rc got $(cat ps.n) bytes $(head -c 90 err)"
n=$($P pack repo -q --no-cache -o /dev/stdout 2>err | wc -c); r "-o /dev/stdout | wc -c" "$n bytes $(head -c 90 err)"
(umask 022; $P pack repo -q --no-cache -o new.xml 2>err); r "new file, umask 022" "mode $(stat -c %a new.xml)"
echo "keep me" > victim; ln -s "$W/victim" repo/link.xml
$P pack repo -q --no-cache -o repo/link.xml 2>err
r "pack -o symlink" "rc=$? victim=$(head -c 7 victim) link=$(stat -c %F repo/link.xml) $(head -c 70 err)"
rm repo/link.xml; ln -s "$W/victim" rlink.json
$P review repo --dry-run -o rlink.json 2>err >/dev/null; r "review --dry-run -o symlink" "rc=$? victim=$(head -c 7 victim) $(head -c 70 err)"
mkdir elsewhere; ln -s "$W/elsewhere" repo/out
$P pack repo -q --no-cache -o repo/out/p.xml 2>err; r "-o through the repo's dir symlink" "rc=$? elsewhere holds: $(ls elsewhere | tr '\n' ' ') $(head -c 70 err)"
rm repo/out
$P pack repo -q --no-cache -o missing/x.xml 2>err; r "-o missing/x.xml" "rc=$? $(head -c 100 err)"
mkdir adir; $P pack repo -q --no-cache -o adir 2>err; r "-o a directory" "rc=$? $(head -c 100 err)"
mkdir ro
if mount -t tmpfs -o ro,size=1m none ro 2>/dev/null; then
  $P pack repo -q --no-cache -o ro/x.xml 2>err; r "-o in a read-only dir" "rc=$? $(head -c 110 err)"; umount ro
fi
$P pack repo --no-cache 2>err | head -2 >/dev/null; rc=${PIPESTATUS[0]}
r "pack | head -2" "rc=$rc stderr: $(grep -v '^packed' err | head -c 90)"
$P pack repo -q --no-cache -o same.xml --manifest same.xml 2>err
r "-o X --manifest X" "rc=$? X starts: $(head -c 12 same.xml 2>/dev/null | tr '\n' ' ') $(head -c 60 err)"
echo "my notes" > parts-2.xml; $P pack repo -q --no-cache --parts 3 -b 8k -o parts.xml 2>err
r "--parts onto a non-packer parts-2.xml" "rc=$? parts-2.xml: $(head -c 10 parts-2.xml | tr '\n' ' ') $(head -c 80 err)"
rm -f parts-*.xml; $P pack repo -q --no-cache --parts 4 -b 8k -o p.xml 2>/dev/null
$P pack repo -q --no-cache --parts 2 -o p.xml 2>err; r "4 parts then 2 parts" "left: $(ls p-*.xml | tr '\n' ' ') $(head -c 80 err)"
cd repo
$P pack . -o pack.xml --manifest pack.json -q; $P pack . -o pack.xml --manifest pack.json -q
r "README first command, second run" "pack.xml packed: $(grep -c '<file path="pack' pack.xml) files; $(grep -o 'This output: [0-9,]*' pack.xml)"
cd /; rm -rf "$W"
