"""Contract checks: plain functions of (spec, response, history) that return violations."""
