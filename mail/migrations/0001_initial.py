"""The mail app's models, which were `members`' until issue 17: their tables exist already
(`members` 0011 renamed them), so this only tells Django's state that mail owns them."""

import django.db.models.deletion
import django.utils.timezone
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
                    name='SuppressedAddress',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, unique=True)),
                        ('reason', models.CharField(choices=[('hard_bounce', 'hard bounce'), ('complaint', 'spam complaint'), ('manual', 'added by staff')], max_length=16)),
                        ('detail', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'verbose_name_plural': 'suppressed addresses',
                    },
                ),
                migrations.CreateModel(
                    name='AddressOptOut',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254)),
                        ('stream', models.CharField(choices=[('digest', 'Digest'), ('event_invites', 'Event invitations'), ('event_reminders', 'Event reminders'), ('intro_requests', 'Introduction requests')], max_length=32)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'constraints': [models.UniqueConstraint(fields=('email', 'stream'), name='one_opt_out_per_address')],
                    },
                ),
                migrations.CreateModel(
                    name='ConsentEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('stream', models.CharField(choices=[('digest', 'Digest'), ('event_invites', 'Event invitations'), ('event_reminders', 'Event reminders'), ('intro_requests', 'Introduction requests')], max_length=32)),
                        ('action', models.CharField(choices=[('requested', 'asked for (awaiting confirmation)'), ('granted', 'turned on'), ('withdrawn', 'turned off')], max_length=16)),
                        ('source', models.CharField(choices=[('settings', 'email settings page'), ('signup', 'sign-up form'), ('confirmation', 'confirmation email'), ('one_click', 'one-click unsubscribe'), ('unsubscribe_page', 'unsubscribe link'), ('admin', 'staff, in the admin'), ('bounce', 'address stopped accepting mail')], max_length=20)),
                        ('wording_version', models.CharField(max_length=32)),
                        ('wording', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consent_events', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='EmailDelivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('to_email', models.EmailField(max_length=254)),
                        ('kind', models.CharField(max_length=50)),
                        ('stream', models.CharField(blank=True, choices=[('digest', 'Digest'), ('event_invites', 'Event invitations'), ('event_reminders', 'Event reminders'), ('intro_requests', 'Introduction requests')], max_length=32)),
                        ('dedupe_key', models.CharField(max_length=255, unique=True)),
                        ('payload', models.JSONField(blank=True, default=dict)),
                        ('status', models.CharField(choices=[('pending', 'pending'), ('sending', 'sending'), ('sent', 'sent'), ('failed', 'failed'), ('skipped', 'skipped')], default='pending', max_length=16)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('last_error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deliveries', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'email deliveries',
                        'indexes': [models.Index(fields=['status', 'updated_at'], name='delivery_status_updated')],
                    },
                ),
                migrations.CreateModel(
                    name='StreamSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('stream', models.CharField(choices=[('digest', 'Digest'), ('event_invites', 'Event invitations'), ('event_reminders', 'Event reminders'), ('intro_requests', 'Introduction requests')], max_length=32)),
                        ('status', models.CharField(choices=[('subscribed', 'on'), ('pending', 'waiting for confirmation'), ('unsubscribed', 'off')], max_length=16)),
                        ('frequency', models.CharField(choices=[('weekly', 'Weekly'), ('monthly', 'Monthly')], default='weekly', max_length=16)),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stream_subscriptions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'constraints': [models.UniqueConstraint(fields=('user', 'stream'), name='one_subscription_per_stream')],
                    },
                ),
            ],
        ),
    ]
