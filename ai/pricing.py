"""What AI calls cost: credits from the cost table, US dollars from the model prices."""

from dataclasses import dataclass, field

from ai.functions import get_function
from ai.model_prices import ModelPrices
from billing.selectors import CreditCostTable, credit_cost_table


@dataclass
class Pricing:
    """Credit costs and model prices, read once and shared by the calls that use it.

    A run's stage prices all its batches with one Pricing: the tables as they were when it began.
    """

    costs: CreditCostTable
    prices: ModelPrices = field(default_factory=ModelPrices)

    @classmethod
    def read(cls, function_name: str) -> "Pricing":
        operation_type = get_function(function_name).operation_type
        return cls(costs=credit_cost_table(operation_types=[operation_type]))
