// Placeholder: the SessionTokens test target's first file (tests follow).
