"""User text → query plan: the query syntax, result filters and the ranking policy (tiers,
weights, feedback). Never opens an index; engines compile its trees and tiers.
"""

from .filters import Filters, parse_period
from .ranking import Tier, tiers
from .syntax import And, Leaf, Not, Or, QuerySyntaxError, parse, positive_leaves

__all__ = ["And", "Filters", "Leaf", "Not", "Or", "QuerySyntaxError", "Tier", "parse", "parse_period",
           "positive_leaves", "tiers"]
