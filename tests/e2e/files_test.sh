#!/usr/bin/env bash
# What krtool reads and writes, on the paths users meet: pipes and devices as inputs, a nearly full disk,
# and an output that cannot be replaced. The outputs of one command are a set: every file in place, or
# none changed, and errors name the file the user asked for, never a temporary one.
source "$(dirname "$0")/lib.sh"

krtool new-selfsigned --dns input --out input.pem
expect_rc 0

it "reads a certificate from a pipe that carries data (process substitution, a named pipe being written)"
krtool import <(cat input.pem)
expect_rc 0
expect_out_contains "CN=input"
mkfifo written.fifo
# The writer gives up after 10 s, so that a krtool that never opens the pipe cannot hang the test.
(sleep 0.3; timeout 10 sh -c 'cat input.pem >written.fifo') &
krtool import written.fifo
wait
expect_rc 0
expect_out_contains "CN=input"

it "refuses a named pipe that nobody writes to, instead of waiting forever"
mkfifo idle.fifo
start=$SECONDS
krtool import idle.fifo
expect_error 3 "certificate 'idle.fifo' is a named pipe with nothing written to it"
expect_hint
[ $((SECONDS - start)) -le 5 ] && pass || fail "took $((SECONDS - start)) s to give up on the pipe"
krtool new-selfsigned --issuer idle.fifo --dns leaf --out leaf.pem
expect_error 3 "is a named pipe with nothing written to it"
expect_no_file leaf.pem

it "refuses devices and sockets as certificate files"
krtool import /dev/zero
expect_error 3 "'/dev/zero' is a character device, not a file"
expect_hint
krtool test-cert /dev/null
expect_error 3 "'/dev/null' is a character device, not a file"

it "refuses JSON nested deeper than 64 levels in --config and in a JSON template, naming where"
/usr/bin/python3 -c 'print("{\"routes\": " + "[" * 50000 + "]" * 50000 + "}")' >deep.json
krtool serve --port 0 --config deep.json
expect_error 3 "config 'deep.json' nests arrays and objects more than 64 deep, at line 1, column"
expect_hint
krtool serve --port 0 --self-signed --route "GET /deep json:$(/usr/bin/python3 -c 'print("[" * 65 + "]" * 65)')"
expect_error 2 "the JSON template nests arrays and objects more than 64 deep"

# A small tmpfs of our own stands in for a nearly full disk (mounting needs root: CI runs as root).
mkdir disk
if ! mount -t tmpfs -o size=64k,mode=0755 tmpfs disk 2>mount.err; then
  echo "SKIP: the full-disk and unreplaceable-file cases need root to mount a tmpfs: $(cat mount.err)" >&2
  finish
  exit $?
fi
trap 'umount -l "$WORK/disk/out.key" 2>/dev/null; umount -l "$WORK/disk" 2>/dev/null; rm -rf "$WORK"' EXIT

# fill_disk: leaves one 4 KiB page free, enough for a certificate's temporary file but not for its key's.
fill_disk() {
  rm -f disk/filler
  head -c $((60 * 1024)) /dev/zero >disk/filler 2>/dev/null
  local free
  free=$(df --output=avail -B1 disk | tail -1)
  [ "$free" -le 8192 ] || echo "fill_disk: $free bytes still free" >&2
}
# expect_no_temporaries: nothing named like a temporary or backup file stays in the folder.
expect_no_temporaries() {
  local left
  left=$(ls -A disk | grep -E '\.krtool-' || true)
  expect_eq "$left" "" "temporary files left in the output folder"
}

it "writes neither the certificate nor its key when the disk fills up while writing them"
fill_disk
krtool new-selfsigned --dns full --out disk/out.pem
expect_error 3 "'disk/out."
expect_err_contains "No space left on device"
expect_err_contains "nothing was changed"
[[ "$ERR" == *".krtool-"* ]] && fail "the error names a temporary file: $ERR" || pass
expect_no_file disk/out.pem
expect_no_file disk/out.key
expect_no_temporaries

it "leaves the previous certificate and key in place when --force cannot write the new ones"
rm -f disk/filler
krtool new-selfsigned --dns old --out disk/out.pem
expect_rc 0
old_cert=$(sha256sum <disk/out.pem)
old_key=$(sha256sum <disk/out.key)
fill_disk
krtool new-selfsigned --dns new --out disk/out.pem --force
expect_error 3 "No space left on device"
expect_eq "$(sha256sum <disk/out.pem)" "$old_cert" "the certificate after the failed --force"
expect_eq "$(sha256sum <disk/out.key)" "$old_key" "the key after the failed --force"
expect_no_temporaries

it "puts the previous certificate back when the key cannot be replaced (a mount point over it)"
rm -f disk/filler
echo "not a key" >pinned.key
mount --bind pinned.key disk/out.key
krtool new-selfsigned --dns new --out disk/out.pem --force
expect_error 3 "private key 'disk/out.key'"
expect_err_contains "nothing was changed"
expect_eq "$(sha256sum <disk/out.pem)" "$old_cert" "the certificate after the key could not be replaced"
expect_no_temporaries
umount disk/out.key

it "writes export's certificate and key as a set too"
fill_disk
krtool export input.pem --out disk/exported.pem --include-key
expect_error 3 "No space left on device"
expect_no_file disk/exported.pem
expect_no_file disk/exported.key
expect_no_temporaries

finish
