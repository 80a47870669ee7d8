"""SPARQL as the service speaks it: the guard, streamed results, the .rq queries."""
