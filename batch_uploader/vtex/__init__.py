"""VTEX: where requests go, how fast, how they are retried, and the orders read back."""
