"""Benchmarks of batch-uploader: ``python -m benchmarks.run [--quick] [--output FILE]``.

Every measured case runs in a fresh process (:mod:`benchmarks.worker`), so each peak RSS and
CPU time belongs to that case alone; the data is generated into a temporary directory and
every request goes to a sandbox on 127.0.0.1.
"""
