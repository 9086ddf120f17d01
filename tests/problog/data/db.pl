% ProbLog's library(db): csv_load/2 makes person/2 from the CSV's rows, sqlite_load/1 a
% predicate per table of the database (friend/2; the test writes friends.sqlite)
:- use_module(library(db)).
:- csv_load('people.csv', 'person').
:- sqlite_load('friends.sqlite').
0.3::smokes(X) :- person(X, A), A > 18.
0.2::smokes(X) :- person(X, _).
0.4::influences(X, Y) :- friend(X, Y).
smokes(Y) :- influences(X, Y), smokes(X).
query(smokes(X)) :- person(X, _).
evidence(smokes(bob), false).
