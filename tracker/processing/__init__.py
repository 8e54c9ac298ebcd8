"""Processing a stored submission: frontier values at the targets (`frontier`,
`frontier_values`), tracks and change-point detection on them (`tracks`, `change_points`), each
config's latest sweep (`latest_sweeps`), and the retrospective pass of backfills
(`backfill_pass`). `submissions` is the entry point."""
