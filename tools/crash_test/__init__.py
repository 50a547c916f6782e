"""Helpers of tools/crash-test: kill Cairn's writers with SIGKILL, check what survived."""
