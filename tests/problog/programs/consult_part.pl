0.6::part.
