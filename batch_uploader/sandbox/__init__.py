"""The sandbox: a fake VTEX OMS on loopback, to try batch-uploader without an account."""

from .oms import Sandbox, SandboxConfig

__all__ = ["Sandbox", "SandboxConfig"]
