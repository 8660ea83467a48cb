"""Session-state and widget keys of the workspace area (re-exported by components.state)."""

from __future__ import annotations
