"""The billing app's models, which were `members`' until issue 17: their tables exist already
(`members` 0011 renamed them), so this only tells Django's state that billing owns them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("members", "0011_billing_and_mail_move_out"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='StripeEvent',
                    fields=[
                        ('id', models.CharField(max_length=255, primary_key=True, serialize=False)),
                        ('type', models.CharField(max_length=100)),
                        ('object_id', models.CharField(blank=True, max_length=255)),
                        ('processed_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'ordering': ['-processed_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('stripe_customer_id', models.CharField(blank=True, max_length=255, null=True, unique=True)),
                        ('stripe_subscription_id', models.CharField(blank=True, max_length=255, null=True, unique=True)),
                        ('status', models.CharField(blank=True, choices=[('', 'not a member yet'), ('incomplete', 'payment not completed'), ('incomplete_expired', 'payment expired'), ('trialing', 'trial'), ('active', 'active'), ('past_due', 'payment failed'), ('canceled', 'cancelled'), ('unpaid', 'unpaid'), ('paused', 'paused')], default='', max_length=32)),
                        ('current_period_end', models.DateTimeField(blank=True, null=True)),
                        ('cancel_at_period_end', models.BooleanField(default=False)),
                        ('past_due_since', models.DateTimeField(blank=True, help_text='When the subscription last became past due.', null=True)),
                        ('synced_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='membership', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('status', 'past_due'), _negated=True), ('past_due_since__isnull', False), _connector='OR'), name='membership_past_due_has_since')],
                    },
                ),
            ],
        ),
    ]
