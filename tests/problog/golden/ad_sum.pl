0.6::a; 0.7::b.
query(a). query(b).
