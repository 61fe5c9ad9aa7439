"""Analytic cost accounting: parameters, MACs and bytes per inference, computed from specs.

Importing this package never imports torch.
"""

from edgekit.cost.analytic import layer_costs, model_cost, model_cost_of
from edgekit.cost.record import ZERO_COST, Cost, LayerCost

__all__ = ["ZERO_COST", "Cost", "LayerCost", "layer_costs", "model_cost", "model_cost_of"]
