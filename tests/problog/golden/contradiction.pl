0.5::a.
evidence(a, true).
evidence(a, false).
query(a).
