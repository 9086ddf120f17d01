% Two independent coins coupled by the evidence: the most probable pair is not the pair of
% most probable coins (ProbLog's `map` task returns the latter).
0.5::a.
0.5::b.
0.5::c.
0.8::n1.
0.5::n2.
e :- a, b, n1.
e :- \+a, \+b, n2.
e :- \+a, b, c.
