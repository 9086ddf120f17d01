% Reachability over uncertain edges of a small directed acyclic graph.
0.6::edge(a,b).
0.4::edge(a,c).
0.3::edge(b,c).
0.7::edge(b,d).
0.5::edge(c,d).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
