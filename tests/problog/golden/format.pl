0.3::a; 0.5::b.
0.6::c.
d :- a, \+c.
d :- b.
query(d). query(a). query(c).
evidence(c, false).
