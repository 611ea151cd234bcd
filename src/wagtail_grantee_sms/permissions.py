"""Permission policies of the SMS app, registered in ``AppConfig.ready()``."""

from django.contrib.auth import get_user_model
from wagtail.permission_policies import ModelPermissionPolicy, OwnershipPermissionPolicy
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


class BroadcastPermissionPolicy(OwnershipPermissionPolicy):
    """Who may do what with broadcasts; every broadcast screen asks it.

    - ``view`` — the history, a broadcast's page, its progress and CSV, the menu item and the
      dashboard panel: ``view_broadcast``, or any permission to work on broadcasts (``add``,
      ``change``, ``send``), as Wagtail's own listings allow;
    - ``add`` — compose a new draft (``add_broadcast``);
    - ``change`` — edit a draft and send a test of it: ``change_broadcast`` for any draft,
      ``add_broadcast`` for one's own (Wagtail's ownership policy, as for images);
    - ``send`` — confirm, pause, resume, cancel, retry (``send_broadcast``);
    - ``exceed_budget`` — confirm beyond the monthly budget (``exceed_budget``).

    Active superusers may do everything.
    """

    VIEW = ("view", "add", "change", "send")
    OWN_CODENAMES = {"exceed_budget": "exceed_budget"}  # not "<action>_broadcast"

    def __init__(self, model):
        super().__init__(model, owner_field_name="created_by")

    def _get_permission_codename(self, action):
        return self.OWN_CODENAMES.get(action) or super()._get_permission_codename(action)

    def _codenames(self, action):
        if action == "view":
            return self._get_permission_codenames(self.VIEW)
        if action in ("send", "exceed_budget"):
            return {self._get_permission_codename(action)}
        if action in ("change", "delete"):
            return self._get_permission_codenames({"add", "change"})
        if action == "add":
            return {self._get_permission_codename("add")}
        return set()

    def user_has_permission(self, user, action):
        if action in ("view", "send", "exceed_budget"):
            return any(  # (has_perm is True for an active superuser)
                user.has_perm(f"{self.app_label}.{codename}")
                for codename in self._codenames(action)
            )
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        codenames = set().union(*(self._codenames(action) for action in actions))
        return self._get_users_with_any_permission_codenames(codenames)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        # Only changing a draft depends on who wrote it.
        per_instance = [action for action in actions if action in ("change", "delete")]
        others = [action for action in actions if action not in per_instance]
        return self.user_has_any_permission(user, others) or (
            bool(per_instance)
            and super().user_has_any_permission_for_instance(user, per_instance, instance)
        )

    def instances_user_has_any_permission_for(self, user, actions):
        others = [action for action in actions if action not in ("change", "delete")]
        if self.user_has_any_permission(user, others):
            return self.model._default_manager.all()
        return super().instances_user_has_any_permission_for(user, actions)


# The one instance: the broadcast screens, ``broadcasting`` and Wagtail's registry share it.
broadcast_policy = BroadcastPermissionPolicy("wagtail_grantee_sms.Broadcast")


def register_permission_policies():
    from .models import Broadcast, Delivery, InboundMessage

    for model in (Delivery, InboundMessage):
        register_permission_policy(model, ReadOnlyPermissionPolicy(model))
    register_permission_policy(Broadcast, broadcast_policy)
