% docs/atlas.md §4.1 and 5.3 as a program: p(a, b) = {00: .30, 01: .25, 10: .40, 11: .05}.
0.45::a.
0.4545454545454545::b_if_not_a.
0.1111111111111111::b_if_a.
b :- \+a, b_if_not_a.
b :- a, b_if_a.
