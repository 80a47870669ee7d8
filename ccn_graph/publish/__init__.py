"""What the graph publishes besides answers: entity descriptions, dumps, the catalogue and its
feed, the home page's figures."""
