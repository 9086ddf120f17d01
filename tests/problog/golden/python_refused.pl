:- use_module('ext.py').
0.5::a.
query(a).
