"""The DCC's rules at their edges: exact boundaries, every table entry, every refusal's sentence."""
