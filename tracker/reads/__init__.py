"""Reads of the stored record, for the API, the dashboard and the demo: series and their latest
values (`series`), a track over time (`trend`), sweeps, change points (`changes`), engines side by
side (`compare`), cost (`pricing`), filter values (`facets`), config filters (`filters`) and
pagination. They return dataclasses; the API's wire shapes are in `tracker.api.schemas`."""
