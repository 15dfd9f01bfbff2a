"""US dollar prices of the models, apart from ai.pricing so that ai.embeddings needs no AI function."""

from decimal import Decimal

from ai.defaults import default_price
from ai.models import ModelPrice


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
