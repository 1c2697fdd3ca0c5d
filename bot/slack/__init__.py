"""The Slack surface: the Bolt app, its listeners, Block Kit builders and the notifier."""
