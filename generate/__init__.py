"""Neuron Atlas: precompute per-neuron evidence for a CNN and render it as a static site."""

__version__ = "0.1.0"
