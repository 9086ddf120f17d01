#!/bin/sh
# The showcase that `make run` runs: one example per query class, each printed as
# `atlasc run` prints it.  ATLASC names the command (default: atlasc on the PATH).
set -e
ATLASC=${ATLASC:-atlasc}
cd "$(dirname "$0")/.."

show() {
    echo "==== $1"
    shift
    "$ATLASC" run "$@" || test $? -eq 5     # 5: an answer has undefined entries (shown)
    echo
}

show "the sprinkler network: every form of the core language" examples/sprinkler.query
show "all single-variable marginals from one backward pass (Asia)" examples/marginals.query
show "MPE with the maximising assignment (Asia)" examples/mpe.query
show "marginal MAP versus MPE; mmap_b, on a circuit that is not {A}-deterministic, is refused \
(atlasc check examples/mmap.query)" examples/mmap.query -q mmap -q mpe
show "causal effect by backdoor adjustment" examples/backdoor.query
show "where positivity fails the adjustment is undefined, never a number (exit 5); graph \
surgery, effect(...), is defined" examples/positivity.query -q adjusted -q surgery
show "probabilistic answer set programming" examples/pasp.query
