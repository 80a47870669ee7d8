"""The service's machinery: child processes, the per-version cache, HTTP clients of other instances."""
