:- use_module('ext.py').
0.5::a(N) :- between(1, 3, N).
b(M) :- a(N), plus_sq(N, 1, M).
query(b(_)).
