% consult another file
:- consult('consult_part.pl').
0.2::extra.
both :- part, extra.
query(part). query(both).
