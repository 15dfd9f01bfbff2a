"""What AI calls cost: credits from the cost table, US dollars from the model prices."""

from dataclasses import dataclass, field
from decimal import Decimal

from ai.defaults import default_price
from ai.functions import get_function
from ai.models import ModelPrice
from billing.selectors import CreditCostTable, credit_cost_table


class ModelPrices:
    """Model prices, each read once (thread-safe enough: a race reads the same row twice)."""

    def __init__(self):
        self._cache: dict[str, ModelPrice | None] = {}

    def cost(self, model: str, *, tokens_in: int, tokens_out: int, images: int) -> Decimal:
        if model not in self._cache:
            self._cache[model] = ModelPrice.objects.filter(model=model).first() or default_price(model)
        price = self._cache[model]
        return (
            price.cost(tokens_in=tokens_in, tokens_out=tokens_out, images=images) if price else Decimal("0")
        )


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
