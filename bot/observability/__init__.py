"""What an operator sees of the running bot: Prometheus metrics and structured, redacted logs.

`metrics.Metrics` owns its own registry (no global state, so a test can build many runtimes);
`logs.configure_logging` installs one handler on the root logger that writes JSON lines (or
text on a TTY) with every secret removed.
"""
