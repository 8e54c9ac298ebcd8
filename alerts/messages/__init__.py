"""Pure message builders: what an alert (`alert`) or a digest (`digest`) says, as Block Kit
within Slack's limits (`blocks`), written once as `markup`; the slice that moved (`rollup`),
configs and numbers in words (`dimensions`, `formatting`), and what builders read (`model`)."""
