"""The facilitation engine: accompaniments, sessions, participants, notes, votes, synthesis.

Plain Python over the database: every function takes a SQLModel `Session` (and a clock when time
matters) and knows nothing of HTTP; the web layer (`app.web`) is a thin shell around it.
Tables live in `app.models`; the vocabularies (stages, roles, kinds) in `enums`.
"""
