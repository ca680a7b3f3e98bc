"""The shooter coach: AI reflections of sessions, insights into weapons and answers to questions, by an
AI provider (Anthropic's) or offline from the user's own numbers; it only ever sees one user's data."""
