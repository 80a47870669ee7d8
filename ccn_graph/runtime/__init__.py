"""The service's machinery: child processes, the per-version cache, the client of another
instance."""
