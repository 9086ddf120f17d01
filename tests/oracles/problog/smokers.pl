% Smoking spreads along a chain of friends (ann -> bob -> cat); smokers may get asthma.
0.3::stress(ann).
0.3::stress(bob).
0.3::stress(cat).
0.6::influences(ann,bob).
0.6::influences(bob,cat).
0.4::asthma_f(ann).
0.4::asthma_f(bob).
0.4::asthma_f(cat).
smokes(X) :- stress(X).
smokes(bob) :- influences(ann,bob), smokes(ann).
smokes(cat) :- influences(bob,cat), smokes(bob).
asthma(X) :- smokes(X), asthma_f(X).
