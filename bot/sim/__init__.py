"""Stand-ins for the outside services the bot talks to (ECS), for tests, the console and staging."""
