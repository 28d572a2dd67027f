"""Web plumbing every app may use: the bottom of the stack, importing no app of ours."""
