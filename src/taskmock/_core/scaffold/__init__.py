"""`taskmock new`: a catalog entry (spec with `x-lifecycle`, scenario file) from a user's OpenAPI.

`build.scaffold` is the entry point; `discover` finds the task API's parts, `words` reads status
names, `skeleton` guesses the lifecycle, `body` and `values` make templates, `sections` writes the
scenario file's sections and `rehearse` plays the result to check it against the spec.
"""
