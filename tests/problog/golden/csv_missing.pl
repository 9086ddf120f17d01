:- use_module(library(db)).
:- csv_load('missing.csv', 'p').
query(p(_)).
