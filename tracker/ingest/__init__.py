"""Ingest: a submission's body validated (`body`, `parse`, with the row conversions of
`formats`) and stored (`store`)."""
