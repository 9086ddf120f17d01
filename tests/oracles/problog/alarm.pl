% The burglary alarm: two causes, an alarm that fails, two neighbours who may call.
0.1::burglary.
0.2::earthquake.
0.9::p_alarm1.
0.8::p_alarm2.
0.1::p_alarm3.
0.8::p_john.
0.9::p_mary.
alarm :- burglary, earthquake, p_alarm1.
alarm :- burglary, \+earthquake, p_alarm2.
alarm :- \+burglary, earthquake, p_alarm3.
johncalls :- alarm, p_john.
marycalls :- alarm, p_mary.
