"""Functional core: rnn forward/backward."""
__all__ = []
