#!/usr/bin/env bash
# The samples are what the README tells users to run first: each must run to the end against the built
# krtool and show what it promises.
samples="$(cd "$(dirname "$0")/../../samples" && pwd)"  # before lib.sh moves to a temporary folder
source "$(dirname "$0")/lib.sh"

it "the README demo (the tutorial) runs to the end: 401 without the certificate, 200 with it"
run env KRTOOL_BIN="$KRTOOL" bash "$samples/client-certificate-authentication.sh"
expect_rc 0
expect_out_contains "status: 401"
expect_out_contains "the server saw our thumbprint"
expect_out_contains "outcome: http-status"
expect_out_contains "outcome: ok"
expect_out_contains "tutorial: done"

it "the production-shaped quick start runs to the end"
run env KRTOOL_BIN="$KRTOOL" bash "$samples/quickstart.sh"
expect_rc 0

it "a sample outside a built checkout finds krtool on PATH, and says what to do when there is none"
# A copy of the samples folder has no build/ beside it, as after an install or a download of the samples.
mkdir -p copy/samples/validation bin
cp "$samples"/*.sh copy/samples/
ln -s "$KRTOOL" bin/krtool
run env -u KRTOOL_BIN PATH="$WORK/bin:/usr/bin:/bin" bash copy/samples/quickstart.sh
expect_rc 0
run env -u KRTOOL_BIN PATH="/usr/bin:/bin" bash copy/samples/quickstart.sh
expect_rc 2
expect_err_contains "no krtool found: not in \$KRTOOL_BIN, not built in $WORK/copy/build, not on PATH"
expect_err_contains "hint: build it (./scripts/build)"
run env KRTOOL_BIN="$WORK/missing/krtool" bash copy/samples/quickstart.sh
expect_rc 2
expect_err_contains "KRTOOL_BIN='$WORK/missing/krtool' is not an executable file"

finish
