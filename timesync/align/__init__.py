"""Aligners: one module per kind of evidence, each returning Constraints for one solver."""
