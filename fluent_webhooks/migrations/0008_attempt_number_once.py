from django.db import migrations, models
from django.db.models import Count


def renumber_duplicates(apps, schema_editor):
    """Before the constraint: a delivery whose attempts share a number (a stale claim's late
    result could record one before 1.0) gets its attempts numbered 1..n in the order made."""
    Attempt = apps.get_model("fluent_webhooks", "Attempt")
    Delivery = apps.get_model("fluent_webhooks", "Delivery")
    doubled = (
        Attempt.objects.values("delivery_id", "number")
        .annotate(times=Count("id"))
        .filter(times__gt=1)
        .values_list("delivery_id", flat=True)
        .distinct()
    )
    for delivery_id in list(doubled):
        attempts = list(Attempt.objects.filter(delivery_id=delivery_id).order_by("started_at", "id"))
        for number, attempt in enumerate(attempts, start=1):
            Attempt.objects.filter(pk=attempt.pk).update(number=number)
        Delivery.objects.filter(pk=delivery_id).update(attempt_count=len(attempts))


class Migration(migrations.Migration):
    dependencies = [
        ("fluent_webhooks", "0007_webhook_health"),
    ]

    operations = [
        migrations.RunPython(renumber_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                fields=("delivery", "number"), name="fluent_attempt_number_once"
            ),
        ),
    ]
