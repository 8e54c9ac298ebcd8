"""GitHub's REST API, as the tracker uses it: the commits between two commits, and workflow
dispatches (`client`). The only package that talks to GitHub."""
