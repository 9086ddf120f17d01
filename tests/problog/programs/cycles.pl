% positive cycles: reachability on a cyclic graph
0.5::edge(a,b). 0.6::edge(b,c). 0.7::edge(c,a). 0.4::edge(b,a). 0.3::edge(c,d).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
query(path(a,_)).
evidence(path(b,a)).
