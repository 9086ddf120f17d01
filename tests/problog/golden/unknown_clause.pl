p(X) :- q(X).
query(p(1)).
