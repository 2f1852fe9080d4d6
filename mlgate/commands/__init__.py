"""One module per CLI command, each a `run(args) -> int` returning an exit code."""
