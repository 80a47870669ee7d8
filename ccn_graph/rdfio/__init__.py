"""RDF in and out: media types, safe parsing of what people send, the writers, blank nodes."""
