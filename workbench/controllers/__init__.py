"""Controllers: connect pane intents to state and jobs, and state changes to panes."""
