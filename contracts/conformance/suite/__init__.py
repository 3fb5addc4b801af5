"""The conformance tests, one module per area of ``SPEC.md``; they need the kit's plugin."""
