% annotated disjunctions, with and without the implicit none
0.3::red; 0.5::green.
0.4::coin(h); 0.6::coin(t).
1/3::die(1); 1/3::die(2); 1/3::die(3) :- coin(h).
win :- red, coin(h).
win :- green, die(2).
lose :- \+win.
query(red). query(green). query(win). query(lose). query(die(_)).
