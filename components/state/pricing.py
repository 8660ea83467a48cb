"""Session-state and widget keys of the pricing area (re-exported by components.state)."""

from __future__ import annotations
