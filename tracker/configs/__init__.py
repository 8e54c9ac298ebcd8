"""Configs: what was measured. `fields` (names, types, key), `identity` (the `Config` and its
key digest), `normalise` (folding values), `repositories` (compare links), `filters` (query
filters over stored configs)."""
