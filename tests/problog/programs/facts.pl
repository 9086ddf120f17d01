% probabilistic facts and clauses
0.3::burglary.
0.2::earthquake.
0.9::alarm :- burglary, earthquake.
0.8::alarm :- burglary, \+earthquake.
0.1::alarm :- \+burglary, earthquake.
0.7::calls(X) :- alarm, person(X).
person(john). person(mary).
evidence(calls(john)).
query(burglary). query(earthquake). query(calls(mary)).
