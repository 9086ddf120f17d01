% arithmetic and comparison
0.5::n(1). 0.4::n(2). 0.3::n(3). 0.2::n(4).
big(X) :- n(X), X > 2.
sum(S) :- n(X), n(Y), X < Y, S is X + Y.
even(X) :- n(X), 0 =:= X mod 2.
query(big(_)). query(sum(_)). query(even(_)).
