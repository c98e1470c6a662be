"""The benchmark of issue 5: `make bench` runs bench/run.py."""
