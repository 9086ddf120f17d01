0.5::p(X) :- true.
q :- p(_).
query(q).
