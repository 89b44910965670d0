"""The work of a quarter, by stage: collect → check → record → measure → publish → send.

Each stage is a subpackage that may import only the stages before it and `core`; the modules
directly here are the flow's step shells (steps, setup, rerun, cascade, runtime), which may
import every stage. The rule is the import-linter contract in .importlinter, run by `make test`.
"""
