:- consult('py.pl').
query(a(1)).
