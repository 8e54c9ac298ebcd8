"""Configs: what was measured (docs/configs.md). `fields` (names, types, key), `identity` (the
`Config` and its key digest), `normalise` (folding submitted and queried values), `repositories`
(compare links). Pure: no ORM, no settings."""
