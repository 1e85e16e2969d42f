"""The demand export as a background job when it is large (docs/operations.md, "Large exports")."""
