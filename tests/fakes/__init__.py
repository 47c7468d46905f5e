"""Local fake platform servers for tests and benchmarks (127.0.0.1, free port, in-process)."""
