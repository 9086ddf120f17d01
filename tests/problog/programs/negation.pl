% negation as failure over a stratified program
0.6::rain. 0.3::sprinkler.
wet :- rain.
wet :- sprinkler.
dry :- \+wet.
happy :- dry, \+rain.
evidence(happy, false).
query(wet). query(dry). query(rain).
