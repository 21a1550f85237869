"""hailong above its pure core and edges, in layers (each imports only those below it):

cli → serve → app (the composition root) → web (HTTP routes and pages) → demo → office (staff
use cases) → conversation (the citizen side) → common; then reports, and survey_flows, channels,
storage at the bottom. docs/architecture.md draws the tree and the path of one answer.
"""

__all__: list[str] = []
