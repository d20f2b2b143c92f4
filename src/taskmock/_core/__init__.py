"""The core: spec loading, lifecycle model and document validation. Knows nothing of HTTP."""
