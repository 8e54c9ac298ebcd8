"""The processes: the `tracker` command line (`cli`), the API server (`server`) and the submitting
side of the API as engine CI uses it (`client`)."""
