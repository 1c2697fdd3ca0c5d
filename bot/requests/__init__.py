"""The domain: detach requests, their states, and the use cases that move them."""
