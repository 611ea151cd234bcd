"""Where ``wagtail_grantee_sms`` meets the Wagtail admin."""
