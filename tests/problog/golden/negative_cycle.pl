0.5::a.
b :- \+c.
c :- \+b, a.
query(b).
