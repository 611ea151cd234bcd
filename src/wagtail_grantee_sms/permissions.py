"""Permission policies of the SMS app, registered in ``AppConfig.ready()``."""

from django.contrib.auth import get_user_model
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Records only the pipeline writes (deliveries, the inbox): the admin can look, not touch.

    Users with the model's ``view`` permission see them; nobody, not even a superuser, gets
    add, change or delete.
    """

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return get_user_model().objects.none()
        return super().users_with_any_permission(["view"])


def register_permission_policies():
    from .models import Delivery, InboundMessage

    for model in (Delivery, InboundMessage):
        register_permission_policy(model, ReadOnlyPermissionPolicy(model))
