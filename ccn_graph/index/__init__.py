"""The portal's derived index (SQLite) and the search it answers."""
