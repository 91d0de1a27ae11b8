"""Where things are and how long it takes between them: the embedded geography and travel models."""
