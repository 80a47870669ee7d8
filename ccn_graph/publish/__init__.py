"""What the graph publishes besides answers: the catalogue, its feed, dumps, figures, entity descriptions."""
