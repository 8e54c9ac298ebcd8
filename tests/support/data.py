"""Where the test data is: `tests/data/`, inside the repository (its README says where each
file comes from and under which licence)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root."""
DATA = ROOT / "tests" / "data"
INFERENCEX_SAMPLES = DATA / "inferencex"
"""Real InferenceX result files."""
REAL_CLIENT_FILES = DATA / "real-clients"
"""Files written by the real upstream benchmark clients."""
TCPD = DATA / "tcpd"
"""The Turing Change Point Dataset subset and its scorer."""
