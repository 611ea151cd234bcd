"""Who may use which broadcast screen, checked for a least-privileged editor: an account with
access to the admin and one broadcast permission (or none).

- seeing broadcasts (history, a broadcast's page, progress, CSV, menu, dashboard panel):
  ``view_broadcast`` or any permission to work on broadcasts;
- composing: ``add_broadcast``; editing a draft: ``change_broadcast``, or ``add_broadcast`` for
  one's own draft; confirming and steering: ``send_broadcast``; beyond the budget:
  ``exceed_budget`` (with ``send_broadcast``).
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

import wagtail_grantee_sms
from wagtail_grantee_sms import broadcasting
from wagtail_grantee_sms.models import Broadcast, Contact, Delivery

from .factories import ContactFactory, ContactGroupFactory, SuperuserFactory, UserFactory
from .pipeline_backends import configure

pytestmark = pytest.mark.django_db

NOBODY, VIEW, ADD, CHANGE, SEND, EXCEED = (
    None,
    "view_broadcast",
    "add_broadcast",
    "change_broadcast",
    "send_broadcast",
    "exceed_budget",
)
EVERY_ONE = [NOBODY, VIEW, ADD, CHANGE, SEND, EXCEED]
SEES = {VIEW, ADD, CHANGE, SEND}


def url(name, *args):
    return reverse(f"wagtail_grantee_sms_broadcasts:{name}", args=args)


def refused(response):
    """Wagtail's answer to a refused permission: a redirect to the dashboard with a message
    for a page, a 403 for a request of the page's JavaScript."""
    return response.status_code == 403 or (
        response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    )


@pytest.fixture(autouse=True)
def locmem(settings):
    configure(settings, price="350", budget="700")


@pytest.fixture
def group():
    volunteers = ContactGroupFactory(name="Relawan")
    for n in range(2):
        ContactFactory(name=f"Relawan {n}", status=Contact.Status.VERIFIED).groups.add(volunteers)
    return volunteers


def editor(client, permission):
    user = UserFactory(permissions=[permission] if permission else [])
    client.force_login(user)
    return user


def someone_elses_draft(group):
    return broadcasting.create_broadcast("Rapat Sabtu", [group], user=SuperuserFactory())


@pytest.mark.parametrize("permission", EVERY_ONE)
@pytest.mark.parametrize(
    "screen, allowed",
    [
        ("list", SEES),
        ("detail", SEES),
        ("progress", SEES),
        ("export", SEES),
        ("add", {ADD}),
        ("recipients", {ADD, CHANGE}),
        ("edit", {CHANGE}),  # someone else's draft
        ("confirm", {SEND}),
    ],
)
def test_each_screen_is_open_to_exactly_the_permissions_it_needs(
    client, group, permission, screen, allowed
):
    draft = someone_elses_draft(group)
    editor(client, permission)
    args = [] if screen in ("list", "add", "recipients") else [draft.pk]

    response = client.get(url(screen, *args))

    if permission in allowed:
        assert response.status_code == 200
    else:
        assert refused(response)


@pytest.mark.parametrize("permission", EVERY_ONE)
def test_the_menu_and_the_dashboard_panel_show_only_to_those_who_may_see_broadcasts(
    client, permission
):
    editor(client, permission)

    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()

    assert (url("list") in dashboard) == (permission in SEES)
    assert ("data-sms-broadcast-panel" in dashboard) == (permission in SEES)


@pytest.mark.parametrize("permission", sorted(SEES))
def test_the_pages_offer_only_the_buttons_the_editor_may_use(client, group, permission):
    draft = someone_elses_draft(group)
    editor(client, permission)

    history = client.get(url("list")).content.decode()
    page = client.get(url("detail", draft.pk)).content.decode()

    assert (url("add") in history) == (permission == ADD)
    assert (url("edit", draft.pk) in page) == (permission == CHANGE)
    assert (url("confirm", draft.pk) in page) == (permission == SEND)


@pytest.mark.parametrize("permission", EVERY_ONE)
def test_only_a_sender_confirms(client, group, permission):
    draft = someone_elses_draft(group)
    editor(client, permission)

    response = client.post(url("confirm", draft.pk))

    draft.refresh_from_db()
    if permission == SEND:
        assert response.url == url("detail", draft.pk)
        assert draft.status != Broadcast.Status.DRAFT
    else:
        assert refused(response)
        assert draft.status == Broadcast.Status.DRAFT


def confirmed_for_later(group, status):
    """Someone else's broadcast, confirmed for 2099, then put in ``status``; one of its
    messages failed without being sent (so that there is something to retry)."""
    broadcast = someone_elses_draft(group)
    broadcast.scheduled_at = broadcast.created_at.replace(year=2099)
    broadcast.save()
    broadcasting.confirm_broadcast(broadcast, SuperuserFactory())
    Broadcast.objects.filter(pk=broadcast.pk).update(status=status)
    broadcast.deliveries.filter(pk=broadcast.deliveries.order_by("pk")[0].pk).update(
        status=Delivery.Status.FAILED, error_code="21211"
    )
    return broadcast


Status = Broadcast.Status
STEERING = [  # action, status before, status after
    ("pause", Status.SCHEDULED, Status.PAUSED),
    ("resume", Status.PAUSED, Status.SCHEDULED),
    ("cancel", Status.SCHEDULED, Status.CANCELLED),
    ("retry", Status.DONE, Status.SENDING),
]


@pytest.mark.parametrize("permission", EVERY_ONE)
@pytest.mark.parametrize("action, before, after", STEERING)
def test_only_a_sender_steers_a_broadcast(client, group, permission, action, before, after):
    broadcast = confirmed_for_later(group, before)
    editor(client, permission)

    response = client.post(url("action", broadcast.pk, action))

    broadcast.refresh_from_db()
    assert broadcast.status == (after if permission == SEND else before)
    assert refused(response) == (permission != SEND)


STEERING_FUNCTIONS = {
    "pause": broadcasting.pause_broadcast,
    "resume": broadcasting.resume_broadcast,
    "cancel": broadcasting.cancel_broadcast,
    "retry": broadcasting.retry_failed,
}


@pytest.mark.parametrize("permission", [VIEW, CHANGE, SEND])
@pytest.mark.parametrize("action, before, after", STEERING)
def test_the_steering_functions_check_the_user_they_are_given(
    client, group, permission, action, before, after
):
    # The model layer, not only the view: code that steers for a user asks for the same right.
    broadcast = confirmed_for_later(group, before)
    user = UserFactory(permissions=[permission])

    if permission == SEND:
        STEERING_FUNCTIONS[action](broadcast, user=user)
    else:
        with pytest.raises(PermissionDenied):
            STEERING_FUNCTIONS[action](broadcast, user=user)

    broadcast.refresh_from_db()
    assert broadcast.status == (after if permission == SEND else before)


@pytest.mark.parametrize("action, before, after", STEERING)
def test_steering_needs_a_post(client, group, action, before, after):
    broadcast = confirmed_for_later(group, before)
    editor(client, SEND)

    response = client.get(url("action", broadcast.pk, action))

    assert response.status_code == 405
    broadcast.refresh_from_db()
    assert broadcast.status == before


def test_a_stranger_reaches_no_broadcast_screen_and_changes_nothing(client, group):
    draft = someone_elses_draft(group)
    steered = confirmed_for_later(group, Status.SCHEDULED)
    login = reverse("wagtailadmin_login")
    screens = [url("list"), url("add"), url("recipients") + f"?groups={group.pk}"]
    screens += [url(name, draft.pk) for name in ("detail", "edit", "confirm", "progress", "export")]

    for screen in screens:
        response = client.get(screen)
        assert response.status_code == 302 and response.url.startswith(login), screen
    posts = [
        (url("add"), {"body": "Spam", "groups": [group.pk], "when": "now", "compose_token": "t"}),
        (url("edit", draft.pk), {"body": "Spam", "groups": [group.pk], "when": "now",
                                 "compose_token": "t", "action": "test"}),
        (url("confirm", draft.pk), {}),
        *[(url("action", steered.pk, action), {}) for action, *_ in STEERING],
    ]  # fmt: skip
    for address, data in posts:
        response = client.post(address, data)
        assert response.status_code == 302 and response.url.startswith(login), address

    assert Broadcast.objects.count() == 2
    draft.refresh_from_db()
    steered.refresh_from_db()
    assert (draft.status, draft.body) == (Status.DRAFT, "Rapat Sabtu")
    assert steered.status == Status.SCHEDULED
    assert not Delivery.objects.filter(broadcast=draft).exists()
    assert wagtail_grantee_sms.outbox == []


@pytest.mark.parametrize("permission", [VIEW, ADD, CHANGE, SEND])
def test_a_test_of_someone_elses_draft_needs_change_broadcast(client, group, permission):
    draft = someone_elses_draft(group)
    user = editor(client, permission)
    ContactFactory(user=user, status=Contact.Status.VERIFIED)  # a number to test with

    response = client.post(
        url("edit", draft.pk),
        {"body": "Rapat Sabtu", "groups": [group.pk], "when": "now", "compose_token": "t",
         "action": "test"},
    )  # fmt: skip

    tests = Delivery.objects.filter(purpose=Delivery.Purpose.BROADCAST, contact__user=user)
    if permission == CHANGE:
        assert response.url == url("edit", draft.pk)
        assert tests.count() == 1
    else:
        assert refused(response)
        assert not tests.exists()


def test_an_author_with_add_only_edits_her_own_draft_not_anothers(client, group):
    author = editor(client, ADD)
    own = broadcasting.create_broadcast("Rapat Sabtu", [group], user=author)
    other = someone_elses_draft(group)

    assert client.get(url("edit", own.pk)).status_code == 200
    assert refused(client.get(url("edit", other.pk)))
    response = client.post(
        url("edit", other.pk),
        {"body": "Changed!", "groups": [group.pk], "when": "now", "compose_token": "t"},
    )
    assert refused(response)
    other.refresh_from_db()
    assert other.body == "Rapat Sabtu"
    # her own draft's page offers to edit it; another's does not
    assert url("edit", own.pk) in client.get(url("detail", own.pk)).content.decode()
    assert url("edit", other.pk) not in client.get(url("detail", other.pk)).content.decode()


def test_beyond_the_budget_a_sender_needs_exceed_budget_too(client, group):
    group.contacts.add(ContactFactory(status=Contact.Status.VERIFIED))  # 3 x 350 > 700
    draft = someone_elses_draft(group)
    sender = UserFactory(permissions=[SEND])
    boss = UserFactory(permissions=[SEND, EXCEED])

    client.force_login(sender)
    assert "data-confirm-button" not in client.get(url("confirm", draft.pk)).content.decode()
    client.post(url("confirm", draft.pk))
    draft.refresh_from_db()
    assert draft.status == Broadcast.Status.DRAFT

    client.force_login(boss)
    client.post(url("confirm", draft.pk))
    draft.refresh_from_db()
    assert draft.status == Broadcast.Status.SENDING


def test_the_group_editor_offers_every_broadcast_permission():
    from wagtail import hooks

    codenames = set()
    for hook in hooks.get_hooks("register_permissions"):
        codenames |= set(hook().values_list("codename", flat=True))

    assert {VIEW, ADD, CHANGE, SEND, EXCEED} <= codenames


def test_wagtail_finds_the_broadcast_policy():
    from wagtail.permissions import policy_registry

    from wagtail_grantee_sms.permissions import BroadcastPermissionPolicy

    for permission in EVERY_ONE:
        UserFactory(username=f"has-{permission}", permissions=[permission] if permission else [])
    policy = policy_registry.get_by_type(Broadcast)

    assert isinstance(policy, BroadcastPermissionPolicy)
    viewers = policy.users_with_any_permission(["view"]).values_list("username", flat=True)
    assert set(viewers) == {f"has-{permission}" for permission in SEES}
    senders = policy.users_with_any_permission(["send"]).values_list("username", flat=True)
    assert list(senders) == [f"has-{SEND}"]
