% lists, library(lists), findall, forall, between, member
:- use_module(library(lists)).
0.5::item(a). 0.4::item(b). 0.3::item(c).
some_item :- member(X, [a,b,c]), item(X).
all_items :- forall(member(X, [a,b]), item(X)).
count(N) :- findall(X, member(X,[a,b,c]), L), length(L, N).
num(N) :- between(1, 3, N), item(c).
rev(R) :- reverse([a,b,c], R), item(a).
query(some_item). query(all_items). query(count(_)). query(num(_)). query(rev(_)).
