% cut (ProbLog's library(cut): indexed clauses, the first that succeeds) and call/N
:- use_module(library(cut)).
:- use_module(library(lists)).
0.4::a. 0.7::b. 0.4::p(1). 0.7::p(2).
r(1, X) :- a, X = first.
r(2, X) :- b, X = second.
r(3, third).
choose(X) :- cut(r(X)).
apply(G, X) :- call(G, X).
yes(X) :- member(X, [1,2]), apply(p, X).
both(X, Y) :- call(r, X, Y).
query(choose(_)). query(yes(_)). query(both(_, _)).
