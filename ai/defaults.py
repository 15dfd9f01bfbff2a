"""USD list prices at the time of writing: (model, input per 1M tokens, output per 1M tokens, per image)."""

from decimal import Decimal

PRICES = [
    ("gpt-4o-mini", "0.15", "0.60", "0"),
    ("gpt-4o", "2.50", "10.00", "0"),
    ("gpt-4.1-mini", "0.40", "1.60", "0"),
    ("gpt-4.1", "2.00", "8.00", "0"),
    ("dall-e-3", "0", "0", "0.04"),
    ("gpt-image-1", "5.00", "40.00", "0.04"),
    ("text-embedding-3-small", "0.02", "0", "0"),
    ("text-embedding-3-large", "0.13", "0", "0"),
]


def seed_prices(price_model) -> None:
    for model, input_price, output_price, per_image in PRICES:
        price_model.objects.get_or_create(
            model=model,
            defaults={
                "input_per_million": Decimal(input_price),
                "output_per_million": Decimal(output_price),
                "per_image": Decimal(per_image),
            },
        )


def default_price(model: str):
    """An unsaved ModelPrice with the default prices of `model`, or None for a model we know nothing of."""
    from ai.models import ModelPrice

    for name, input_price, output_price, per_image in PRICES:
        if name == model:
            return ModelPrice(
                model=name,
                input_per_million=Decimal(input_price),
                output_per_million=Decimal(output_price),
                per_image=Decimal(per_image),
            )
    return None
