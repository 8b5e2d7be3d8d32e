"""Publication figures drawn with matplotlib's object API (thread-safe, deterministic files)."""
