"""Multi-step flows (ConversationHandler), one module per flow."""
