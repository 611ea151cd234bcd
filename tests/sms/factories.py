import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from wagtail_grantee_sms.models import Contact, ContactGroup, Delivery, InboundMessage


def indonesian_mobile(n):
    """A valid Indonesian mobile number in E.164, different for each ``n``."""
    return f"+62812{n:08d}"


class ContactGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactGroup
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Group {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name", locale="id_ID")
    phone = factory.Sequence(lambda n: indonesian_mobile(n + 1000))
    status = Contact.Status.UNVERIFIED
    language = Contact.Language.INDONESIAN
    # Consent on record, as the admin's form and the sign-up record it; a test about contacts
    # without consent passes consent_source="".
    consent_source = Contact.ConsentSource.PAPER_FORM
    consent_given_at = factory.LazyFunction(timezone.now)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"editor{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("password")

    @factory.post_generation
    def permissions(user, create, extracted, **kwargs):
        """``UserFactory(permissions=["add_contact", ...])``: codenames of the SMS app."""
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        for codename in extracted or []:
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="wagtail_grantee_sms", codename=codename
                )
            )


class SuperuserFactory(UserFactory):
    is_superuser = True
    is_staff = True
    username = factory.Sequence(lambda n: f"admin{n}")


# -- the sending pipeline (deliveries, inbox) ------------------------------------------


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    contact = factory.SubFactory(ContactFactory, status=Contact.Status.VERIFIED)
    phone = factory.SelfAttribute("contact.phone")
    body = "Rapat relawan hari Sabtu pukul 09.00."
    purpose = Delivery.Purpose.BROADCAST
    backend_alias = "default"


class InboundMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundMessage

    backend_alias = "default"
    sender = factory.Sequence(lambda n: indonesian_mobile(n + 5000))
    body = "Terima kasih"
    received_at = factory.LazyFunction(timezone.now)
    provider_message_id = factory.Sequence(lambda n: f"in-{n}")
