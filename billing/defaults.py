"""Default credit costs of the reference system: (operation, credits, per quantity, unit, description)."""

DEFAULT_COSTS = [
    ("clustering", 1, 5, "keyword", "1 credit per 5 keywords in a call (rounded up)"),
    ("idea_generation", 2, 1, "cluster", "2 credits per cluster"),
    ("content_generation", 1, 100, "word", "1 credit per 100 words written (rounded up)"),
    ("image_prompt_extraction", 2, 1, "content", "2 credits per content item"),
    ("image_generation", 5, 1, "image", "5 credits per image generated; failed images are free"),
]


def seed_costs(cost_model) -> None:
    """Create the missing default rows; `cost_model` is the model class (historical in migrations)."""
    for operation, credits, per_quantity, unit, description in DEFAULT_COSTS:
        cost_model.objects.get_or_create(
            operation_type=operation,
            defaults={
                "credits": credits,
                "per_quantity": per_quantity,
                "unit": unit,
                "description": description,
            },
        )
