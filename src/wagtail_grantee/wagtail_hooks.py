"""Where ``wagtail_grantee`` meets the Wagtail admin."""
